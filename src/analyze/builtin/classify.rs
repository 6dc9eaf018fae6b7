//! Category and component: weighted keyword and phrase rules over the pipeline's
//! taxonomy.
//!
//! Every label has a list of `(phrase, weight)` rules. A rule matches on word stems
//! (see [`super::text`]), so "charge" also matches "charged" and "charges", `*` is
//! any one word, `..` zero to three words and `NEG` any negating word. A label's score is the sum of the
//! weights of its matches (each occurrence counts), plus 2 when a ticket tag equals
//! the label name. The highest score wins; a tie goes to the label listed first in
//! the taxonomy; no positive score falls back to `general_inquiry` / `none`.
//!
//! Examples (default taxonomy):
//! * "I was charged twice for my subscription" -> billing ("charge" 2, "charged
//!   twice" 3, "subscription" 2).
//! * "My card still hasn't arrived" -> shipping_delivery ("NEG arrive" 3, "card * NEG
//!   arrive" 2).
//! * "How do I get a refund?" -> refund_return ("refund" 4 beats "how do i" 1.5).
//! * "There is a charge on my statement that I didn't make" -> billing ("charge" 2,
//!   "didn't make" 2.5).
//! * "My transfer still hasn't arrived" -> technical_issue ("transfer .. NEG" 1.5,
//!   "transfer .. arrive" 1.5, "transfer" 0.5) over shipping_delivery ("NEG arrive" 3,
//!   "arrive" 2, "transfer .. arrive" -3): money is not a parcel.
//! * "Is there an auto top-up feature?" -> general_inquiry ("is there" 1, "top up" 1,
//!   "auto top up" 2) over feature_request ("feature" 1.5).
//! * "nvidia-smi shows the GPU fell off the bus" -> hardware_issue, component gpu.
//!
//! Which rules a label uses:
//! * a label with keywords uses exactly those (weight 1 for a word, 1.5 for two
//!   words, 2 for three or more: phrases are more specific);
//! * a default label name with no keywords uses the built-in rules below;
//! * any other label with no keywords can never match.
//!
//! Negative weights are used sparingly to pull a generic word away from a label when
//! a more specific phrase says otherwise: "arrive" is a delivery word but not after
//! "money", "transfer" or "payment"; "account" is an access word but not in "in my
//! account" or "to my account"; "wish" leans to a feature request but "I wish to" just
//! means "I want to"; "virtual" things are not hardware; "tracked it down" is no
//! parcel tracking.
//!
//! Besides the Banking77-style vocabulary, the rules know service tickets: a node
//! that went "offline", is "unreachable" or is "not responding", "maintenance", a
//! "sync" or an app that "won't open" are technical issues; a "suspended" or
//! "deactivated" account and "add a user" / "read only access" are account access.

use super::text::{Doc, PhraseSet};
use super::KEY_PHRASES_PER_SOURCE;
use crate::model::taxonomy::{Label, FALLBACK_CATEGORY, FALLBACK_COMPONENT};

/// Built-in category rules: general support vocabulary.
#[rustfmt::skip]
const CATEGORY_RULES: &[(&str, &[(&str, f32)])] = &[
    ("billing", &[
            ("invoice", 3.0), ("bill", 2.0), ("billing", 3.0), ("billed", 3.0), ("charge", 2.0),
            ("charged twice", 3.0), ("charged * twice", 3.0), ("double charged", 3.0),
            ("charged * again", 2.0), ("overcharged", 3.0), ("extra charge", 2.0), ("payment", 1.0),
            ("fee", 3.0), ("fees", 3.0), ("subscription", 2.0), ("price", 2.0), ("pricing", 2.0),
            ("cost", 1.0), ("receipt", 1.5), ("statement", 1.5), ("exchange rate", 1.0),
            ("wrong exchange rate", 3.0), ("rate .. wrong", 2.0), ("bad exchange rate", 3.0),
            ("wrong rate", 3.0), ("exchange rate * applied", 1.5), ("conversion", 1.0),
            ("currency exchange", 1.0), ("direct debit", 2.5), ("NEG recognise", 3.0),
            ("NEG recognize", 3.0), ("unrecognised", 3.0), ("unrecognized", 3.0),
            ("don't know * payment", 2.0), ("NEG make this payment", 2.0),
            ("NEG made * payment", 2.0), ("NEG authorize", 2.0), ("unauthorised", 1.0),
            ("unauthorized", 1.0), ("wrong amount", 3.0), ("incorrect amount", 3.0),
            ("amount * wrong", 2.0), ("cancel * transfer", 3.0), ("cancel * payment", 3.0),
            ("stop * payment", 2.0), ("reverse * transfer", 2.0), ("undo", 1.5),
            ("by mistake", 1.5), ("vat", 2.0), ("tax", 1.5), ("plan", 1.0), ("upgrade plan", 1.5),
            ("renew", 1.5), ("renewal", 2.0), ("discount", 1.5), ("coupon", 1.5),
            ("credit card", 1.0), ("paid", 1.0), ("pay", 0.5), ("deducted", 2.0),
            ("took * money", 1.5), ("withdrawal", 0.5), ("charged * withdraw", 2.0),
            ("less cash", 2.0), ("more cash", 1.5), ("cash * wrong", 2.0), ("twice", 1.0),
            ("duplicate", 1.5), ("only got", 2.5), ("only received", 2.5), ("only * received", 2.0),
            ("NEG the amount", 2.5), ("more than i got", 2.5), ("less than i", 2.0),
            ("NEG get all", 2.0), ("commission", 3.0), ("how much * exchange", 2.0),
            ("wrong account", 2.5), ("cancel * transaction", 3.0), ("reverse * transaction", 3.0),
            ("stop * transfer", 2.5), ("in error", 1.5), ("accidentally", 1.5),
            ("wrong payment", 2.0), ("cancel", 1.0), ("rate .. charged", 2.0),
            ("charged * rate", 2.0), ("rate .. incorrect", 2.0), ("incorrect * rate", 2.0),
            ("rate * off", 1.5), ("higher * rate", 1.5), ("rate * higher", 1.5), ("extra", 1.0),
            ("too much", 1.5), ("only get", 2.5), ("different than", 1.5), ("NEG match", 2.0),
            ("gave me", 1.0), ("annual", 1.0), ("monthly", 1.0),
            // A transaction the customer disowns.
            ("didn't make", 2.5), ("did not make", 2.5), ("never made", 2.5), ("wasn't me", 3.0),
            ("was not me", 3.0), ("not mine", 2.5), ("NEG remember", 2.0), ("NEG recall", 2.0),
            ("didn't withdraw", 3.0), ("did not withdraw", 3.0),
            // The amount is not what was asked for.
            ("NEG .. full amount", 2.5), ("NEG .. correct amount", 2.5),
            ("NEG .. right amount", 2.5), ("NEG give me enough", 2.5), ("NEG .. enough money", 2.0),
            ("NEG .. enough cash", 2.0), ("amount .. different", 2.0), ("different amount", 2.0),
            ("only .. given", 2.0), ("instead of", 1.0), ("less money", 2.5),
    ]),
    ("account_access", &[
            ("login", 3.0), ("log in", 3.0), ("sign in", 3.0), ("logged out", 3.0),
            ("password", 3.0), ("2fa", 3.0), ("two factor", 3.0), ("authenticat", 2.0),
            ("locked out", 3.0), ("account * locked", 3.0), ("unlock", 2.0), ("username", 2.0),
            ("verify", 2.5), ("verification", 2.5), ("identity", 3.0), ("id", 1.0),
            ("passport", 2.0), ("document", 1.0), ("pin", 3.0), ("passcode", 3.0),
            ("security code", 1.5), ("personal details", 3.0), ("personal information", 2.0),
            ("my name", 2.0), ("change * address", 1.0), ("update * details", 2.0),
            ("change * details", 2.0), ("phone number", 1.5), ("email address", 1.5),
            ("close * account", 3.0), ("delete * account", 3.0), ("terminate", 2.0),
            ("cancel * account", 3.0), ("account", 0.5), ("in my account", -0.5), ("into my account", -0.5), ("to my account", -0.5), ("from my account", -0.5), ("on my account", -0.5), ("profile", 1.5), ("age", 1.5),
            ("years old", 3.0), ("under 18", 3.0), ("old * be", 1.0), ("source of funds", 3.0),
            ("access", 1.5), ("permission", 1.5), ("reset", 1.0), ("forgot", 2.0),
            ("forgotten", 2.0), ("blocked", 1.0), ("otp", 2.0), ("sso", 2.0), ("credential", 2.0),
            ("compromised account", 1.0), ("funds come from", 3.0), ("money came from", 3.0),
            ("source of * funds", 3.0), ("where * money * from", 2.0), ("funds * from", 1.0),
            ("my child", 2.5), ("my children", 2.5), ("my kids", 2.5), ("daughter", 2.5),
            ("son", 2.0), ("minimum age", 3.0), ("how old", 3.0), ("open an account", 2.0),
            ("details", 1.5), ("change * information", 2.0), ("new address", 2.0),
            ("change of address", 2.5), ("my information", 1.5), ("suspended", 2.5),
            ("deactivated", 2.5), ("add .. user", 2.0), ("new user", 1.5), ("read only access", 2.0),
    ]),
    ("technical_issue", &[
            ("error", 2.0), ("crash", 2.0), ("bug", 2.0), ("NEG work", 1.5),
            ("failed", 2.0), ("failing", 2.0), ("fail", 2.0), ("failure", 1.5), ("declined", 3.0),
            ("decline", 3.0), ("rejected", 2.0), ("pending", 3.0), ("stuck", 2.0),
            ("apple pay", 3.0), ("google pay", 3.0), ("android pay", 3.0), ("wallet", 1.0),
            ("app", 0.5), ("website", 1.0), ("page", 0.5), ("freez", 2.0), ("frozen", 1.0),
            ("hang", 1.0), ("timeout", 2.0), ("timed out", 2.0), ("slow", 1.0), ("glitch", 2.0),
            ("outage", 2.0), ("down", 1.0), ("exception", 2.0), ("stack trace", 2.0),
            ("traceback", 2.0), ("log", 0.5), ("driver", 2.0), ("firmware", 1.0), ("update", 0.5),
            ("install", 1.5), ("software", 1.5), ("api", 1.5), ("server", 1.0), ("reverted", 3.0),
            ("revert", 2.0), ("returned to me", 1.0), ("bounced back", 2.0),
            ("NEG go through", 3.0), ("didn't go through", 3.0), ("hasn't gone through", 2.0),
            ("still * pending", 2.0), ("NEG receive", 1.5), ("NEG * receive", 1.0),
            ("NEG * received", 1.0), ("recipient", 2.0), ("beneficiary", 3.0), ("balance", 1.0),
            ("NEG update", 2.0), ("balance * NEG", 1.0), ("NEG show", 1.0), ("NEG * show up", 1.0),
            ("deposit", 1.0), ("cheque", 1.0), ("check deposit", 1.0), ("virtual .. NEG", 2.5), ("NEG .. virtual card", 1.0),
            ("top up * fail", 2.0), ("transfer", 0.5), ("didn't * through", 1.5),
            ("why * NEG", 1.0), ("won't let me", 1.5), ("unable to", 1.0), ("can't", 0.5),
            ("blank page", 2.0), ("404", 2.0), ("error 500", 2.0), ("500 error", 2.0), ("502", 2.0), ("kernel", 1.5),
            ("dmesg", 2.0), ("top up .. cancel", 3.0), ("status of my", 1.5), ("gone", 1.5),
            ("NEG gotten", 1.5), ("NEG completed", 2.0), ("not there yet", 2.0),
            ("NEG see * funds", 2.0), ("couldn't get", 2.0), ("couldn't withdraw", 2.5),
            ("NEG appear", 2.0), ("NEG * appear", 1.5), ("NEG reflect", 2.0),
            ("NEG gone through", 3.0), ("top up * NEG", 2.0), ("NEG see my money", 2.0),
            ("what happened", 1.0), ("NEG get money", 2.0), ("atm * NEG", 1.5),
            ("NEG * get * cash", 2.0), ("atm * declined", 2.0), ("segfault", 2.0),
            ("blue screen", 2.0), ("bsod", 2.0), ("went wrong", 1.5), ("offline", 2.0), ("maintenance", 1.0),
            ("unreachable", 2.0), ("NEG respond", 1.5), ("sync", 2.0), ("NEG open", 1.0),
            ("NEG * open", 1.0),
            // A payment or transfer that failed, bounced or never arrived.
            ("payment .. reversed", 3.0), ("payment .. returned", 3.0),
            ("payment .. came back", 3.0), ("payment .. cancelled", 2.5),
            ("payment .. canceled", 2.5), ("transaction .. cancelled", 2.5),
            ("transaction .. canceled", 2.5), ("withdrawal .. cancelled", 2.5),
            ("withdrawal .. canceled", 2.5), ("top up .. cancelled", 3.0),
            ("top up .. returned", 3.0), ("been cancelled", 1.5), ("was cancelled", 1.5),
            ("been canceled", 1.5), ("was canceled", 1.5), ("got cancelled", 1.5),
            ("transfer .. NEG", 1.5), ("transaction .. NEG", 1.5), ("NEG .. cleared", 2.0),
            ("transfer .. arrive", 1.5), ("transaction .. arrive", 1.5), ("money .. arrive", 1.0),
            ("delayed", 1.0), ("where is my money", 2.0), ("nowhere", 1.5), ("vanished", 2.0),
            ("disappeared", 2.0), ("denied", 2.5), ("NEG .. withdraw", 2.0),
    ]),
    ("hardware_issue", &[
            ("hardware", 3.0), ("physical", 0.5), ("card .. NEG .. work", 2.5),
            ("card .. stopped working", 2.0), ("NEG .. use .. card", 2.0), ("card .. NEG function", 2.0),
            ("card .. broken", 2.0), ("card .. broke", 2.0), ("card * damaged", 2.0), ("chip", 1.5), ("magnetic strip", 2.0),
            ("contactless", 3.0), ("tap", 1.0), ("swallow", 3.0), ("ate my card", 3.0),
            ("eaten", 2.0), ("retained", 2.0), ("kept my card", 3.0), ("machine * kept", 2.0),
            ("atm .. took", 2.0), ("machine .. took", 2.0), ("trapped", 2.0), ("get my card out", 2.5), ("card back", 1.0), ("atm * keep", 2.0), ("stuck in * atm", 3.0), ("lost", 2.0),
            ("stolen", 3.0), ("stole", 3.0), ("theft", 3.0), ("missing card", 2.0),
            ("lost my phone", 3.0), ("mugged", 3.0), ("robbed", 3.0), ("left my phone", 2.5), ("forgot my phone", 2.5), ("without my phone", 2.0), ("phone .. gone", 2.0), ("virtual", -1.5), ("phone * stolen", 3.0), ("misplaced", 2.0),
            ("can't find my", 2.0), ("compromised", 3.0), ("fraud", 2.0), ("fraudulent", 2.0),
            ("someone * used my", 3.0), ("someone .. using my card", 3.0), ("someone else", 1.5), ("hacked", 2.0),
            ("freeze * card", 1.5), ("block * card", 1.5), ("dead", 2.0), ("broken", 1.5),
            ("cracked", 2.0), ("overheat", 3.0), ("smoke", 3.0), ("burning smell", 3.0),
            ("noise", 2.0), ("noisy", 2.0), ("grinding", 2.0), ("fan", 2.0), ("psu", 3.0),
            ("power supply", 3.0), ("gpu", 2.0), ("graphics card", 2.0), ("drive", 1.0),
            ("disk", 1.5), ("ssd", 2.0), ("hdd", 2.0), ("nvme", 2.0), ("dimm", 2.0), ("ram", 1.5),
            ("motherboard", 3.0), ("cpu", 1.5), ("dead pixel", 3.0), ("screen", 1.0),
            ("monitor", 1.0), ("port", 1.0), ("cable", 1.5), ("battery", 2.0), ("charger", 2.0),
            ("won't turn on", 3.0), ("doesn't power on", 3.0), ("NEG power on", 3.0),
            ("NEG turn on", 2.0), ("led", 1.0), ("beep", 2.0), ("reallocated sector", 3.0),
            ("smart", 1.0), ("raid", 2.0), ("server", 0.5), ("device", 1.0), ("laptop", 1.0),
            ("keyboard", 1.5), ("phone", 0.5),
    ]),
    ("shipping_delivery", &[
            ("delivery", 3.0), ("deliver", 3.0), ("delivered", 3.0), ("shipping", 3.0),
            ("ship", 3.0), ("shipped", 3.0), ("shipment", 3.0), ("tracking", 3.0), ("track", 2.0),
            ("courier", 3.0), ("postal", 2.0), ("post office", 2.0), ("mail", 1.0), ("parcel", 3.0),
            ("package", 3.0), ("dispatch", 3.0), ("arrive", 2.0), ("arrival", 3.0),
            ("NEG arrive", 3.0), ("NEG * arrive", 2.0), ("NEG yet arrived", 2.0),
            ("card * NEG arrive", 2.0), ("NEG * received * card", 2.0),
            ("NEG received * card", 2.0), ("still waiting", 1.0), ("waiting * card", 2.0),
            ("waiting for * card", 2.0), ("card * come", 2.0), ("when will * card", 2.0),
            ("when * get * card", 2.0), ("new card", 1.0), ("order * card", 2.0),
            ("order * physical card", 3.0), ("physical card", 2.0), ("actual card", 2.0), ("real card", 2.0), ("send * card", 1.0),
            ("sent * card", 1.0), ("mailed", 2.0), ("order status", 3.0),
            ("where is my order", 3.0), ("estimated", 1.5), ("how long .. take .. arrive", 2.0),
            ("address", 1.0), ("wrong address", 2.0), ("left at", 1.5), ("signature", 1.0),
            ("in transit", 3.0), ("out of stock", 2.0), ("back in stock", 2.0), ("order", 1.0),
            ("next day", 1.5), ("express", 1.5), ("order .. cancelled", 2.5),
            ("order .. canceled", 2.5), ("track * down", -2.0),
            // Money is not a parcel: a transfer that "arrives" is not a delivery.
            ("money .. arrive", -3.0), ("transfer .. arrive", -3.0),
            ("transaction .. arrive", -3.0), ("funds .. arrive", -3.0),
            ("payment .. arrive", -3.0),
    ]),
    ("refund_return", &[
            ("refund", 4.0), ("refunded", 4.0), ("money back", 4.0), ("get * money back", 3.0),
            ("return", 2.0), ("returns", 2.0), ("returning", 2.0), ("send * back", 2.0),
            ("rma", 4.0), ("exchange * for", 1.0), ("replacement", 1.0), ("reimburse", 3.0),
            ("chargeback", 3.0), ("store credit", 2.0), ("return label", 3.0),
            ("return policy", 3.0), ("merchant * refund", 2.0), ("credited back", 2.0),
            ("reversal", 1.0),
    ]),
    ("feature_request", &[
            ("feature", 1.5), ("feature request", 3.0), ("new feature", 3.0), ("add .. feature", 3.0), ("would be great if", 3.0),
            ("would be nice", 3.0), ("would love", 1.0), ("would love it if", 2.0), ("would love to see", 2.0), ("would love to get", -1.0), ("please add", 3.0),
            ("could you add", 3.0), ("can you add", 3.0), ("add support", 2.0),
            ("add * option", 2.0), ("suggestion", 3.0), ("suggest", 2.0), ("wish", 1.0), ("wish to", -1.0), ("wish there", 2.0), ("wish you", 2.0), ("wish * could", 2.0), ("wish * had", 2.0),
            ("request * feature", 2.0), ("roadmap", 3.0), ("dark mode", 2.0), ("integration", 1.5),
            ("improvement", 2.0), ("enhancement", 3.0), ("it would help", 2.0), ("plans to", 1.5),
            ("in the future", 1.5), ("option to", 1.0),
    ]),
    ("general_inquiry", &[
            ("how do i", 1.5), ("how can i", 1.5), ("how to", 0.5), ("can i", 1.0), ("is there", 1.0), ("add money", 1.5),
            ("is it possible", 1.5), ("which", 0.5), ("what is", 0.5), ("what are", 0.5),
            ("do you support", 2.0), ("do you offer", 2.0), ("do you accept", 2.0),
            ("do you have", 1.5), ("support", 0.5), ("supported", 1.5), ("accept", 1.0),
            ("available", 1.0), ("question", 1.5), ("information", 1.0), ("where can i", 1.5),
            ("where do i", 1.0), ("how long", 1.5), ("how long .. wait", 1.0), ("wait time", 1.5), ("how much", 0.5), ("limit", 1.5),
            ("limits", 1.5), ("maximum", 1.5), ("allowed", 0.5), ("country", 2.0),
            ("countries", 2.0), ("currency", 1.5), ("currencies", 2.0), ("visa", 2.0),
            ("mastercard", 2.0), ("virtual card", 2.0), ("disposable", 2.5), ("spare card", 2.5),
            ("extra card", 2.0), ("another card", 1.5), ("additional card", 2.0), ("top up", 1.0),
            ("topping up", 1.0), ("auto top up", 2.0), ("automatic", 1.5), ("activate", 2.0),
            ("activation", 2.0), ("link", 1.5), ("expire", 2.5), ("expiry", 2.5),
            ("expiration", 2.5), ("receive money", 2.0), ("receiving money", 2.0), ("salary", 1.5),
            ("atm", 0.5), ("where can i use", 2.0), ("use my card", 1.0), ("cheque", 0.5),
            ("cash", 0.5), ("exchange", 0.5), ("what * exchange rate", 1.5), ("rate", 0.5),
            ("crypto", 1.5), ("business hours", 2.0), ("opening hours", 2.0), ("hours", 0.5),
            ("policy", 1.0), ("documentation", 1.0), ("plans", 0.5), ("difference between", 2.0),
            ("how many", 1.0), ("need to know", 1.0), ("wondering", 1.5), ("curious", 1.5),
            ("from abroad", 1.0), ("fiat", 2.0), ("how long does * transfer", 2.0),
            ("transfer * take", 1.5), ("when will * transfer", 1.0),
    ]),
];

/// Built-in component rules.
#[rustfmt::skip]
const COMPONENT_RULES: &[(&str, &[(&str, f32)])] = &[
    ("gpu", &[
            ("gpu", 3.0), ("graphics card", 3.0), ("graphics", 2.0), ("video card", 3.0),
            ("cuda", 3.0), ("nvidia", 3.0), ("nvidia smi", 2.0), ("radeon", 3.0), ("geforce", 3.0),
            ("vram", 3.0), ("rtx", 3.0), ("a100", 3.0), ("h100", 3.0), ("xid", 3.0),
            ("amd gpu", 2.0),
    ]),
    ("cpu", &[
            ("cpu", 3.0), ("processor", 3.0), ("xeon", 3.0), ("epyc", 3.0), ("ryzen", 3.0),
            ("core i7", 3.0), ("core i9", 3.0), ("socket", 1.5), ("cores", 1.0), ("mce", 2.0),
            ("machine check", 3.0), ("throttl", 1.0),
    ]),
    ("drive", &[
            ("drive", 2.0), ("ssd", 3.0), ("hdd", 3.0), ("nvme", 3.0), ("disk", 3.0), ("raid", 3.0),
            ("hard drive", 3.0), ("storage", 2.0), ("smart", 1.0), ("reallocated sector", 3.0),
            ("bad sector", 3.0), ("sata", 2.0), ("sas", 2.0), ("zfs", 2.0), ("mdadm", 3.0),
            ("partition", 2.0), ("filesystem", 2.0), ("i o error", 2.0),
    ]),
    ("memory", &[
            ("ram", 3.0), ("memory", 2.5), ("dimm", 3.0), ("ecc", 3.0), ("memtest", 3.0),
            ("ddr4", 3.0), ("ddr5", 3.0), ("out of memory", 1.0), ("oom", 1.0),
            ("memory module", 3.0),
    ]),
    ("power_supply", &[
            ("psu", 3.0), ("power supply", 3.0), ("power cable", 2.0), ("power unit", 2.0),
            ("redundancy lost", 1.0), ("wattage", 2.0), ("won't power on", 2.0),
            ("NEG power on", 2.0), ("power outage", 1.0), ("ups", 1.5), ("charger", 2.0),
            ("battery", 1.5),
    ]),
    ("motherboard", &[
            ("motherboard", 3.0), ("mainboard", 3.0), ("mobo", 3.0), ("system board", 3.0),
            ("pcie slot", 2.0), ("chipset", 2.0), ("cmos", 1.5), ("dimm slot", 1.0),
    ]),
    ("cooling", &[
            ("fan", 3.0), ("fans", 3.0), ("overheat", 3.0), ("thermal", 3.0), ("temperature", 2.5),
            ("cooling", 3.0), ("cooler", 3.0), ("heatsink", 3.0), ("too hot", 2.5),
            ("running hot", 2.5), ("airflow", 2.5), ("thermal paste", 3.0), ("liquid cooling", 3.0),
            ("90c", 2.0),
    ]),
    ("display", &[
            ("monitor", 3.0), ("screen", 2.5), ("display", 2.5), ("hdmi", 2.0),
            ("displayport", 2.0), ("flicker", 2.0), ("dead pixel", 3.0), ("resolution", 1.5),
            ("backlight", 3.0), ("lcd", 3.0), ("no signal", 2.0),
    ]),
    ("network", &[
            ("network", 2.5), ("nic", 3.0), ("ethernet", 3.0), ("dns", 3.0), ("packet loss", 3.0),
            ("latency", 2.5), ("wifi", 2.5), ("wi fi", 2.5), ("router", 2.5), ("switch", 1.0),
            ("vlan", 3.0), ("ip address", 2.0), ("bandwidth", 2.0), ("connectivity", 2.0),
            ("internet", 2.0), ("firewall", 2.0), ("ping", 1.5), ("port 443", 1.0), ("ports", 1.0),
            ("link down", 2.0), ("sfp", 3.0), ("vpn", 2.0),
    ]),
    ("ipmi", &[
            ("ipmi", 3.0), ("bmc", 3.0), ("idrac", 3.0), ("ilo", 3.0), ("redfish", 3.0),
            ("out of band", 2.0), ("ipmitool", 3.0), ("sel", 1.0), ("remote console", 2.0),
            ("kvm", 1.5),
    ]),
    ("bios", &[
            ("bios", 3.0), ("uefi", 3.0), ("firmware settings", 3.0), ("secure boot", 2.0),
            ("cmos", 1.5), ("bios update", 2.0), ("bios settings", 3.0), ("setup utility", 2.0),
    ]),
    ("boot", &[
            ("won't boot", 3.0), ("NEG boot", 3.0), ("boot loop", 3.0), ("bootloop", 3.0),
            ("boot", 2.0), ("grub", 3.0), ("post", 1.0), ("NEG post", 2.0), ("bootloader", 3.0),
            ("boot device", 2.0), ("stuck at * logo", 2.0), ("past * logo", 2.0), ("bootable", 2.0),
            ("pxe", 2.5), ("kernel panic", 2.0),
    ]),
];

/// The rules of one taxonomy dimension (categories or components), ready to match.
pub(crate) struct LabelSet {
    names: Vec<String>,
    rules: PhraseSet<(usize, f32)>,
    fallback: &'static str,
}

/// The outcome of classifying one ticket along one dimension.
pub(crate) struct Choice<'a> {
    pub label: &'a str,
    /// Score of the winner (0 for a fallback).
    pub score: f64,
    /// The first [`KEY_PHRASES_PER_SOURCE`] matched phrases of the winner, as they
    /// read in the text, strongest first (the key phrases take no more).
    pub phrases: Vec<String>,
    /// How many phrases of the winner matched.
    pub matches: usize,
}

impl Choice<'_> {
    /// Whether this choice is real evidence of a support topic: one strong keyword
    /// (weight 3: "invoice", "refund", "gpu") or a score of at least `min` from two
    /// or more matches. One generic word such as "fail" or "screen" in a chatty
    /// message is not enough.
    pub fn is_evidence(&self, min: f64) -> bool {
        self.score >= 3.0 || (self.score >= min && self.matches >= 2)
    }
}

/// Whether ticket tag `tag` names label `name`: lowercased, with `-` and spaces
/// as `_`, equal to it ignoring ASCII case.
fn tag_names(tag: &str, name: &str) -> bool {
    if !tag.is_ascii() {
        return name.eq_ignore_ascii_case(&tag.to_lowercase().replace(['-', ' '], "_"));
    }
    // An ASCII tag is compared a byte at a time, without building the normalized copy.
    let normal = |b: u8| match b {
        b'-' | b' ' => b'_',
        b => b.to_ascii_lowercase(),
    };
    tag.len() == name.len()
        && tag
            .bytes()
            .zip(name.bytes())
            .all(|(t, n)| normal(t) == n.to_ascii_lowercase())
}

impl LabelSet {
    pub fn categories(labels: &[Label]) -> Self {
        Self::build(labels, CATEGORY_RULES, FALLBACK_CATEGORY)
    }

    pub fn components(labels: &[Label]) -> Self {
        Self::build(labels, COMPONENT_RULES, FALLBACK_COMPONENT)
    }

    fn build(labels: &[Label], builtin: &[(&str, &[(&str, f32)])], fallback: &'static str) -> Self {
        let mut rules = PhraseSet::default();
        for (idx, label) in labels.iter().enumerate() {
            if label.keywords.is_empty() {
                let list = builtin
                    .iter()
                    .find(|(n, _)| *n == label.name)
                    .map_or(&[][..], |(_, l)| l);
                for &(phrase, w) in list {
                    rules.add(phrase, (idx, w));
                }
            } else {
                for k in &label.keywords {
                    let words = k.split_whitespace().count();
                    let w = match words {
                        0 | 1 => 1.0,
                        2 => 1.5,
                        _ => 2.0,
                    };
                    rules.add(&k.to_lowercase(), (idx, w));
                }
            }
        }
        LabelSet {
            names: labels.iter().map(|l| l.name.clone()).collect(),
            rules,
            fallback,
        }
    }

    /// Scores every label on `doc` (and `tags`) and picks the best.
    pub fn choose(&self, doc: &Doc, tags: &[String]) -> Choice<'_> {
        let mut scores = vec![0.0f64; self.names.len()];
        let mut hits: Vec<(usize, usize, usize, f32)> = Vec::new();
        self.rules.for_each_match(doc, |m| {
            let (idx, w) = *m.value;
            scores[idx] += f64::from(w);
            hits.push((idx, m.start, m.len, w));
        });
        for tag in tags {
            if let Some(idx) = self.names.iter().position(|n| tag_names(tag, n)) {
                scores[idx] += 2.0;
            }
        }
        // The first label with the highest score wins (ties: taxonomy order).
        let mut best: Option<usize> = None;
        for (i, &s) in scores.iter().enumerate() {
            if s > 0.0 && best.is_none_or(|b| s > scores[b]) {
                best = Some(i);
            }
        }
        let Some(b) = best else {
            return Choice {
                label: self.fallback,
                score: 0.0,
                phrases: Vec::new(),
                matches: 0,
            };
        };
        let top = scores[b];
        hits.retain(|h| h.0 == b);
        hits.sort_by(|x, y| y.3.total_cmp(&x.3).then(x.1.cmp(&y.1)));
        let phrases = hits
            .iter()
            .take(KEY_PHRASES_PER_SOURCE)
            .map(|&(_, start, len, _)| doc.words_text(start, len))
            .collect();
        Choice {
            label: &self.names[b],
            score: top,
            phrases,
            matches: hits.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::taxonomy::Taxonomy;

    fn category(text: &str) -> String {
        let t = Taxonomy::default();
        LabelSet::categories(&t.categories)
            .choose(&Doc::new(text), &[])
            .label
            .to_string()
    }

    fn component(text: &str) -> String {
        let t = Taxonomy::default();
        LabelSet::components(&t.components)
            .choose(&Doc::new(text), &[])
            .label
            .to_string()
    }

    #[test]
    fn default_categories() {
        for (text, want) in [
            ("I was charged twice for my subscription", "billing"),
            ("I can't log in, the 2FA code is rejected", "account_access"),
            (
                "The app crashes with an error when I open settings",
                "technical_issue",
            ),
            ("My card was stolen yesterday", "hardware_issue"),
            ("My card still hasn't arrived", "shipping_delivery"),
            ("How do I get a refund?", "refund_return"),
            (
                "It would be great if you could add a dark mode",
                "feature_request",
            ),
            ("Which countries do you support?", "general_inquiry"),
            ("Hello there", "general_inquiry"),
        ] {
            assert_eq!(category(text), want, "{text}");
        }
    }

    #[test]
    fn default_components() {
        for (text, want) in [
            ("nvidia-smi shows the GPU fell off the bus", "gpu"),
            ("The NVMe SSD in the RAID array is degraded", "drive"),
            ("ECC errors on DIMM A1", "memory"),
            ("PSU 2 is beeping", "power_supply"),
            (
                "The fans spin at full speed, CPU temperature 95C",
                "cooling",
            ),
            ("Server won't boot, stuck in a boot loop after GRUB", "boot"),
            ("The iDRAC / BMC web page is unreachable", "ipmi"),
            ("Packet loss on the ethernet uplink", "network"),
            ("Please change my billing address", "none"),
        ] {
            assert_eq!(component(text), want, "{text}");
        }
    }

    #[test]
    fn user_keywords_replace_builtin_rules_and_ties_go_first() {
        let label = |name: &str, keywords: &[&str]| Label {
            name: name.into(),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
        };
        let labels = vec![
            label("money", &["widget"]),
            label("docs", &["widget", "user manual"]),
            label("mystery", &[]),
            label("billing", &[]),
        ];
        let set = LabelSet::categories(&labels);
        // "widget" scores 1 for both user labels: the first listed wins.
        assert_eq!(set.choose(&Doc::new("my widget"), &[]).label, "money");
        // A phrase weighs 1.5 and beats a word.
        assert_eq!(
            set.choose(&Doc::new("the widget user manual"), &[]).label,
            "docs"
        );
        // A default name without keywords keeps the built-in rules.
        assert_eq!(
            set.choose(&Doc::new("wrong fee on the invoice"), &[]).label,
            "billing"
        );
        // Nothing matches ("mystery" has no keywords): the fallback.
        let c = set.choose(&Doc::new("mystery"), &[]);
        assert_eq!((c.label, c.score), (FALLBACK_CATEGORY, 0.0));
    }

    #[test]
    fn tags_and_scores() {
        let t = Taxonomy::default();
        let set = LabelSet::categories(&t.categories);
        let tagged = set.choose(&Doc::new("hello"), &["Refund-Return".to_string()]);
        assert_eq!(tagged.label, "refund_return");
        let clear = set.choose(&Doc::new("refund refund, I want my money back"), &[]);
        let mixed = set.choose(&Doc::new("refund the delivery fee"), &[]);
        assert_eq!(
            (clear.label, mixed.label),
            ("refund_return", "refund_return")
        );
        assert!(clear.score > mixed.score);
    }
}
