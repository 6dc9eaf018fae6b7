//! Throughput of the built-in analyzer on realistic ~1 KB tickets, one core: the full
//! `analyze()` (language detection included) alone and after message cleaning (what
//! the analyze pool does per ticket).
//!
//! `cargo bench --bench analyzer`; tickets/second = 1 / median time. Side by side:
//!
//! * `analysis_only`: the analysis with the language given as English, which is what
//!   `analyze()` did before languages were detected (the figure to compare with);
//! * `detect_language`: language detection alone;
//! * `analyze_ticket`: `analyze()`, detection included;
//! * `clean_and_analyze_ticket`: what a ticket costs in a run: `analysis_body`
//!   (the message cleaned and cut), then `analyze()` (detection and analysis).
//!
//! The tickets: four English support e-mails (one with a quoted reply and a
//! signature for the cleaner to cut) and one German, whose detection runs the
//! trigram model instead of the English function-word shortcut.

use zdpipe::analyze::builtin::{BuiltinAnalyzer, BuiltinOptions};
use zdpipe::analyze::{language, AnalysisInput, Analyzer};

/// The binary's allocator (`src/main.rs`), so that these are the binary's figures.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    divan::main();
}

const TICKETS: [(&str, &str); 5] = [
    (
        "Server down after BIOS update - URGENT",
        "Hi team,\n\nAfter applying the BIOS update 2.14.1 to our node r740-07 last night the server no longer boots. \
         It gets stuck at POST with a memory training error and the iDRAC shows a warning for DIMM B2. We tried \
         reseating the DIMMs and clearing the CMOS, no luck. This is our production database host and our customers \
         cannot place orders until it is back, so we are losing money every hour. I already opened a ticket about this \
         yesterday and nobody replied, which is frankly unacceptable for a premium support contract with a 4 hour SLA.\n\n\
         dmesg from the last good boot:\n[   12.345678] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0\n\
         Please escalate this immediately and call me back as soon as possible.\n\nRegards,\nDana",
    ),
    (
        "Charged twice for my subscription",
        "Hello, I was charged twice for my annual subscription this month, once on the 3rd and again on the 5th. \
         The invoice only shows one payment. I contacted you about this two weeks ago and I'm still waiting for a \
         response. Could you please refund the duplicate charge to my credit card? I have attached screenshots of both \
         transactions from my bank statement. I would also like to know why this happened so it doesn't happen again \
         next year. To be honest I'm getting tired of chasing this, it's the third time I write. Thanks in advance for \
         looking into it, and please let me know when the refund has been processed. Kind regards, Sam",
    ),
    (
        "Where is my order?",
        "Hi, I ordered a new graphics card (order 55123) ten days ago with express shipping and it still hasn't \
         arrived. The tracking number you sent doesn't work on the courier's website and the status has said 'label \
         created' for a week. I paid extra for next day delivery because I need the card for a project deadline on \
         Friday. Can you tell me where the package is and when it will be delivered? If it can't arrive by Thursday I \
         would like to cancel the order and get my money back instead. I really hope you can sort this out quickly, I \
         have been a customer for years and never had a problem like this before. Thank you, Alex",
    ),
    (
        "Thanks - all working now",
        "Hello again, just a quick note to say thank you to Maria from your support team. The replacement power supply \
         arrived this morning, well packed and earlier than expected, and the workstation boots fine now. The fans are \
         quiet again and the temperatures look normal under load. I really appreciate how quickly you handled the RMA \
         and how clearly everything was explained; it made a stressful week much easier. I'll definitely recommend you \
         to my colleagues. One small suggestion: it would be great if the RMA portal could show the shipping status of \
         the replacement as well. Otherwise, excellent service, keep up the good work!\n\nBest regards,\nPriya\n\n\
         On Mon, 3 Jun 2024 at 10:15, Example Support <help@example.com> wrote:\n\
         > Hi Priya, your replacement power supply ships today. Happy to help!",
    ),
    (
        "Festplatte im RAID erneut ausgefallen",
        "Hallo zusammen,\n\nin unserem Speicherserver ist heute Nacht schon wieder eine Festplatte im RAID-Verbund \
         ausgefallen, die zweite in diesem Monat. Der Controller meldet den Verbund als beeinträchtigt und wir laufen \
         jetzt ohne Redundanz. Die Ersatzplatte aus dem letzten Austausch ist bereits verbaut. Bitte schicken Sie uns \
         so schnell wie möglich eine neue Platte, am besten per Expressversand, da auf dem System unsere \
         Buchhaltung läuft und wir einen weiteren Ausfall nicht riskieren können. Ich habe die Seriennummer und die \
         Protokolle des Controllers angehängt. Außerdem möchten wir wissen, ob es bei dieser Charge bekannte \
         Probleme gibt, denn beide ausgefallenen Platten stammen aus derselben Lieferung. Vielen Dank für eine \
         schnelle Rückmeldung.\n\nMit freundlichen Grüßen\nJonas Weber\nIT-Leitung",
    ),
];

/// The input for the `i`-th call, and the next ticket in turn.
fn input(i: &mut usize) -> AnalysisInput<'static> {
    let (subject, body) = TICKETS[*i % TICKETS.len()];
    *i += 1;
    AnalysisInput {
        ticket_id: *i as u64,
        subject,
        body,
        tags: &[],
    }
}

#[divan::bench]
fn analysis_only(bencher: divan::Bencher) {
    let analyzer = BuiltinAnalyzer::new(BuiltinOptions::default()).unwrap();
    let mut i = 0;
    bencher.bench_local(|| {
        let input = input(&mut i);
        divan::black_box(analyzer.analyze_in(divan::black_box(&input), language::ENGLISH))
    });
}

#[divan::bench]
fn detect_language(bencher: divan::Bencher) {
    let mut i = 0;
    bencher.bench_local(|| {
        let input = input(&mut i);
        let text = format!("{}\n{}", input.subject, input.body);
        divan::black_box(language::detect(divan::black_box(&text)))
    });
}

#[divan::bench]
fn analyze_ticket(bencher: divan::Bencher) {
    let analyzer = BuiltinAnalyzer::new(BuiltinOptions::default()).unwrap();
    let mut i = 0;
    bencher.bench_local(|| {
        let input = input(&mut i);
        divan::black_box(analyzer.analyze(divan::black_box(&input)).unwrap())
    });
}

#[divan::bench]
fn build_analyzer() -> BuiltinAnalyzer {
    BuiltinAnalyzer::new(BuiltinOptions::default()).unwrap()
}

/// What the analyze pool does per ticket: the message cleaned (`analysis_body`), then
/// analyzed.
#[divan::bench]
fn clean_and_analyze_ticket(bencher: divan::Bencher) {
    let analyzer = BuiltinAnalyzer::new(BuiltinOptions::default()).unwrap();
    let mut i = 0;
    bencher.bench_local(|| {
        let (subject, description) = TICKETS[i % TICKETS.len()];
        i += 1;
        let body = zdpipe::analyze::analysis_body(
            divan::black_box(description),
            None,
            zdpipe::analyze::TextMode::Requester,
            zdpipe::analyze::DEFAULT_MAX_INPUT_CHARS,
        );
        let input = AnalysisInput {
            ticket_id: i as u64,
            subject,
            body: &body,
            tags: &[],
        };
        divan::black_box(analyzer.analyze(&input).unwrap())
    });
}
