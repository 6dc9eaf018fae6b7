//! The raw material of the sandbox's support text: per-topic subjects, problem
//! statements and details, plus the people and company names.
//!
//! Fragments may contain placeholders (`{model}`, `{code}`, `{serial}`, `{order}`,
//! `{invoice}`, `{amount}`, `{host}`, `{n}`, `{days}`, `{version}`, `{tracking}`) that
//! `text.rs` fills in. The wording deliberately uses the words a support analyzer keys
//! on (component names, "refund", "password", "production down"...), in varied forms.

/// The broad area of a ticket; decides its category-level tag, type and log style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Hardware,
    Billing,
    Account,
    Shipping,
    Software,
    Feature,
    Question,
}

impl Group {
    /// The tag every ticket of the group carries (views filter on these).
    pub fn tag(self) -> &'static str {
        match self {
            Group::Hardware => "hardware",
            Group::Billing => "billing",
            Group::Account => "account",
            Group::Shipping => "shipping",
            Group::Software => "software",
            Group::Feature => "feature_request",
            Group::Question => "question",
        }
    }
}

/// What one kind of problem sounds like.
#[derive(Debug)]
pub struct Topic {
    /// The specific tag (`gpu`, `raid`, `refund`...).
    pub tag: &'static str,
    pub group: Group,
    pub models: &'static [&'static str],
    pub codes: &'static [&'static str],
    pub subjects: &'static [&'static str],
    pub problems: &'static [&'static str],
    pub details: &'static [&'static str],
}

const SERVERS: &[&str] = &[
    "SR-4200",
    "SR-2100 Pro",
    "HX-880",
    "Atlas 2U",
    "Titan 4U",
    "EdgeBox 1U",
];

pub const TOPICS: &[Topic] = &[
    Topic {
        tag: "gpu", group: Group::Hardware,
        models: &["RTX A6000", "A100 80GB", "L40S", "H100 PCIe", "RTX 4090"],
        codes: &["Xid 79", "Xid 48", "Xid 63", "ERR_GPU_FALLEN_OFF_BUS"],
        subjects: &["GPU {model} falling off the bus", "{model} crashes with {code}", "GPU throttling to half speed on {host}", "Artifacts and CUDA errors on {model}"],
        problems: &["One of the {model} cards in {host} keeps disappearing from nvidia-smi after a few hours of training.", "The GPU driver reports {code} and the whole node has to be rebooted.", "Since the last firmware update the {model} throttles to half its clock speed under load.", "The graphics card shows artifacts and the CUDA jobs fail with illegal memory access errors."],
        details: &["We already reseated the card and swapped the riser, same result.", "It happens on {n} out of 8 GPUs in the chassis.", "Temperatures look fine, around 70C, right before the crash.", "The serial number of the card is {serial}."],
    },
    Topic {
        tag: "drive", group: Group::Hardware,
        models: &["8TB SAS HDD", "3.84TB NVMe SSD", "1.92TB SATA SSD", "16TB Exos drive"],
        codes: &["SMART 0x05", "RAID_DEGRADED", "E-DRV-014", "I/O error, dev nvme1n1"],
        subjects: &["RAID array degraded on {host}", "Disk failure - need replacement {model}", "NVMe drive not detected after reboot", "RAID rebuild stuck on {host}"],
        problems: &["The RAID controller marked one {model} as failed and the array is now degraded.", "A disk in {host} reports {code} and reallocated sectors keep growing.", "After a reboot one of the NVMe drives is no longer detected in the BIOS or the OS.", "The RAID 6 rebuild has been stuck at {n}0% for two days."],
        details: &["The drive serial is {serial}, it is still under warranty.", "We have a hot spare but the rebuild never starts.", "smartctl shows {n} pending sectors.", "We replaced the drive once already and the new one failed too."],
    },
    Topic {
        tag: "memory", group: Group::Hardware,
        models: &["64GB DDR5 RDIMM", "32GB DDR4 ECC RDIMM", "128GB LRDIMM"],
        codes: &["MCE bank 7", "EDAC uncorrectable error", "E-MEM-0042", "DIMM_B2 UE"],
        subjects: &["ECC memory errors on {host}", "Uncorrectable memory error, server rebooted", "Server only sees part of the installed RAM"],
        problems: &["The system event log is full of correctable ECC errors on DIMM B2.", "The server rebooted overnight with {code} and the memory module was flagged.", "We installed {n} x {model} but the OS only sees half of the memory."],
        details: &["We moved the DIMM to another slot and the errors followed the module.", "memtest86 ran for 12 hours and found {n} errors.", "The module part number is {model}, serial {serial}."],
    },
    Topic {
        tag: "power_supply", group: Group::Hardware,
        models: &["1600W Titanium PSU", "2000W PSU", "800W redundant PSU"],
        codes: &["PSU2 AC lost", "PS_REDUNDANCY_LOST", "E-PWR-0107"],
        subjects: &["PSU redundancy lost on {host}", "Server shuts down under load - power supply?", "Power supply making noise and smells burnt"],
        problems: &["One of the two power supplies in {host} shows an amber light and the BMC reports {code}.", "The server powers off under full load, we suspect the {model}.", "The power supply fan is making a loud noise and the unit smells burnt."],
        details: &["The PDU shows the outlet delivers power normally.", "Both PSUs were swapped between slots and the fault stays with the unit.", "Serial of the failed unit: {serial}."],
    },
    Topic {
        tag: "cooling", group: Group::Hardware,
        models: &["system fan module", "CPU heatsink", "rear fan assembly"],
        codes: &["FAN3 below threshold", "TEMP_CRIT", "E-FAN-0031"],
        subjects: &["Fan failure alert on {host}", "Fans stuck at 100% after BMC update", "Server overheating and shutting down"],
        problems: &["Fan 3 reports {code} and the CPU temperature climbs above 90C.", "All fans spin at full speed permanently since the last BMC update.", "The server shuts down because of thermal protection several times a day."],
        details: &["Ambient temperature in the rack is 22C.", "We cleaned the chassis and checked the airflow, no improvement.", "The {model} was replaced {n} months ago."],
    },
    Topic {
        tag: "ipmi", group: Group::Hardware,
        models: SERVERS,
        codes: &["BMC not responding", "HTTP 503 from BMC", "IPMI session timeout"],
        subjects: &["Cannot reach IPMI/BMC on {host}", "BMC web interface not loading", "IPMI remote console broken after update"],
        problems: &["The IPMI interface of our {model} stopped responding; ipmitool returns {code}.", "The BMC web UI loads forever and the remote KVM console never connects.", "After updating the BMC firmware to {version} we lost access to the management network."],
        details: &["A cold reset of the BMC helps for a few hours only.", "The dedicated management port has link, but no DHCP lease.", "We need remote access because the datacenter is {n} hours away."],
    },
    Topic {
        tag: "bios", group: Group::Hardware,
        models: SERVERS,
        codes: &["POST code 0x55", "BIOS checksum error", "E-BIOS-0009"],
        subjects: &["BIOS update failed on {model}", "BIOS settings reset after every reboot", "SR-IOV option missing in the BIOS"],
        problems: &["The BIOS update to {version} failed halfway and now the {model} is stuck with {code}.", "Every reboot resets the BIOS settings to defaults, including the boot order.", "The BIOS does not show the option to enable SR-IOV mentioned in your documentation."],
        details: &["The CMOS battery was replaced last month.", "We tried the recovery jumper as described in the manual.", "Motherboard serial: {serial}."],
    },
    Topic {
        tag: "boot", group: Group::Hardware,
        models: SERVERS,
        codes: &["No bootable device", "GRUB rescue>", "PXE-E53"],
        subjects: &["Server does not boot: {code}", "Boot loop after kernel update", "PXE boot not working on new servers"],
        problems: &["The {model} fails to boot and shows {code} after the RAID controller was replaced.", "The server is stuck in a boot loop and never reaches the login prompt.", "Our new servers do not pick up the PXE image, the NIC times out during boot."],
        details: &["Secure Boot is enabled, legacy boot is disabled.", "The boot disk is visible in the BIOS.", "We have {n} servers affected out of the last delivery."],
    },
    Topic {
        tag: "network", group: Group::Hardware,
        models: &["25GbE NIC", "100GbE ConnectX card", "dual-port 10GbE NIC"],
        codes: &["link flapping", "NETDEV WATCHDOG: transmit queue timed out", "E-NIC-0210"],
        subjects: &["Network interface flapping on {host}", "Packet loss on the {model}", "NIC not detected after firmware update"],
        problems: &["The {model} keeps going link up and link down, the kernel logs {code}.", "We see around {n}% packet loss between our nodes since the network card was replaced.", "The second network port is not detected at all after the firmware update to {version}."],
        details: &["We swapped cables and switch ports already.", "Throughput drops to a few hundred Mbit/s under load.", "The switch does not show any errors on its side."],
    },
    Topic {
        tag: "display", group: Group::Hardware,
        models: &["27\" 4K monitor", "32\" display", "portable 15\" display"],
        codes: &["no signal", "a black screen", "a frozen image"],
        subjects: &["Monitor shows no signal", "Display flickering constantly", "Dead pixels on new {model}"],
        problems: &["The {model} we received shows {code} over both HDMI and DisplayPort.", "The screen flickers every few seconds and sometimes goes black.", "There is a cluster of dead pixels in the middle of the brand new display."],
        details: &["We tested it with three different laptops.", "The monitor serial is {serial}.", "The issue started the day after delivery."],
    },
    Topic {
        tag: "cpu", group: Group::Hardware,
        models: &["EPYC 9354", "Xeon Gold 6430", "EPYC 7763"],
        codes: &["CPU IERR", "Machine check exception", "CATERR"],
        subjects: &["CPU {code} and reboot on {host}", "CPUs stuck at minimum frequency", "Second processor not detected"],
        problems: &["The server logs {code} on CPU 1 and reboots under heavy load.", "Both {model} processors are stuck at their minimum clock speed.", "The second processor is not detected, only half of the cores show up."],
        details: &["We reseated the processor and applied new thermal paste.", "The power profile is set to maximum performance.", "This started after the BIOS update to {version}."],
    },
    Topic {
        tag: "motherboard", group: Group::Hardware,
        models: SERVERS,
        codes: &["PCIe slot not detected", "board health critical", "E-MB-0301"],
        subjects: &["Motherboard fault on {model}", "PCIe slots not working", "Mainboard replacement request"],
        problems: &["Two PCIe slots on the motherboard of our {model} no longer detect any card.", "The BMC reports {code} for the mainboard.", "We believe the system board is faulty: the server powers on but nothing is displayed."],
        details: &["All other components were tested in another chassis and work.", "The chassis serial number is {serial}.", "We need an on-site technician for the board replacement."],
    },
    Topic {
        tag: "double_charge", group: Group::Billing,
        models: &["annual plan", "monthly subscription", "support contract"],
        codes: &["duplicate transaction", "payment captured twice"],
        subjects: &["Charged twice this month", "Double charge on my credit card", "Duplicate payment for invoice {invoice}"],
        problems: &["My credit card was charged twice for the {model}, {amount} each time.", "We see two identical payments of {amount} on our bank statement for invoice {invoice}.", "Your billing system took the payment twice and I want the duplicate charge reversed."],
        details: &["The transactions were on the same day, a few minutes apart.", "Our finance team needs this resolved before month end.", "I have attached the bank statement."],
    },
    Topic {
        tag: "invoice", group: Group::Billing,
        models: &["annual plan", "hardware order", "support renewal"],
        codes: &["missing VAT ID", "wrong billing address"],
        subjects: &["Invoice {invoice} has wrong details", "Need a copy of invoice {invoice}", "Question about my latest invoice"],
        problems: &["Invoice {invoice} for our {model} shows a {code}, so our accounting cannot process it.", "I cannot find the invoice for order {order} in the billing portal.", "The amount on the invoice ({amount}) does not match the quote we signed."],
        details: &["Please send a corrected PDF to our accounts payable address.", "The purchase order number must appear on the invoice.", "We are tax exempt and the invoice includes VAT."],
    },
    Topic {
        tag: "refund", group: Group::Billing,
        models: &["returned server", "cancelled order", "unused licenses"],
        codes: &["RMA-{n}{n}{n}", "refund pending"],
        subjects: &["Refund for order {order}", "Still waiting for my refund", "Request a refund for the {model}"],
        problems: &["We returned the {model} ({code}) {days} days ago and still have not received the refund of {amount}.", "I would like a refund for order {order}, the product does not do what was promised.", "Your team confirmed the refund weeks ago but nothing has arrived on our card."],
        details: &["The return was delivered to your warehouse according to the carrier.", "We were told refunds take 5 business days.", "Order number {order}, paid by credit card."],
    },
    Topic {
        tag: "password", group: Group::Account,
        models: &["customer portal", "admin console", "support portal"],
        codes: &["reset link expired", "invalid token"],
        subjects: &["Password reset email never arrives", "Password reset link: {code}", "Cannot log in to the {model} after password change"],
        problems: &["I requested a password reset for the {model} three times but the email never arrives.", "The password reset link says {code} as soon as I click it.", "After changing my password I still cannot log in, it says the credentials are invalid."],
        details: &["I checked the spam folder.", "My username is the email address I am writing from.", "I need access to download the latest firmware."],
    },
    Topic {
        tag: "2fa", group: Group::Account,
        models: &["authenticator app", "hardware security key", "SMS code"],
        codes: &["invalid verification code", "2FA device lost"],
        subjects: &["Lost my 2FA device", "Two-factor authentication code rejected", "Need to reset 2FA on our admin account"],
        problems: &["I got a new phone and lost the {model}, so I cannot pass two-factor authentication anymore.", "The 2FA login keeps saying {code} even though the time on my phone is correct.", "Our only admin left the company and his account has 2FA enabled."],
        details: &["I can verify my identity with our contract number.", "The backup codes were never saved.", "We need this today to renew our licenses."],
    },
    Topic {
        tag: "locked_out", group: Group::Account,
        models: &["customer portal", "admin console", "API account"],
        codes: &["account locked", "too many failed attempts"],
        subjects: &["Account locked out", "Locked out of the {model}", "Please unlock our account"],
        problems: &["Our {model} account is locked after too many failed login attempts and we are completely locked out.", "The login page says {code} and tells me to contact support.", "The whole team lost access to the {model} this morning."],
        details: &["Nobody on our side changed the credentials.", "We suspect someone tried to brute force the login.", "Account email: the one I am writing from."],
    },
    Topic {
        tag: "late_delivery", group: Group::Shipping,
        models: &["server order", "replacement part", "GPU order"],
        codes: &["delivery delayed", "backorder"],
        subjects: &["Where is my order {order}?", "Delivery is {days} days late", "Replacement part never arrived"],
        problems: &["Our {model} {order} was supposed to arrive {days} days ago and there is still no delivery.", "The shipping status has said {code} for over a week.", "We paid for express shipping and the package is still not here."],
        details: &["The project start date depends on this hardware.", "Nobody answered my email from last week.", "Please give us a realistic delivery date."],
    },
    Topic {
        tag: "tracking", group: Group::Shipping,
        models: &["shipment", "package", "pallet"],
        codes: &["label created", "exception: address issue"],
        subjects: &["Tracking number not working", "Tracking shows {code}", "No tracking information for order {order}"],
        problems: &["The tracking number {tracking} you sent does not work on the carrier website.", "The {model} for order {order} shows {code} and has not moved since.", "We never received any tracking information for our order."],
        details: &["Delivery address is our datacenter loading dock.", "Please confirm the shipment actually left your warehouse.", "We need to book a slot with the datacenter for the delivery."],
    },
    Topic {
        tag: "bug", group: Group::Software,
        models: &["management agent", "provisioning API", "web console", "CLI tool"],
        codes: &["HTTP 500", "NullPointerException", "segmentation fault", "E-API-5003"],
        subjects: &["{model} returns {code}", "Bug in {model} version {version}", "{model} crashes on startup"],
        problems: &["Since upgrading the {model} to version {version}, every request fails with {code}.", "The {model} crashes with {code} when listing more than {n}00 servers.", "The web console shows wrong data after the latest release, this looks like a software bug."],
        details: &["Rolling back to the previous version fixes it.", "It happens for every user in our organization.", "We can reproduce it on a fresh installation."],
    },
    Topic {
        tag: "feature", group: Group::Feature,
        models: &["web console", "provisioning API", "monitoring dashboard"],
        codes: &["feature request"],
        subjects: &["Feature request: export to CSV in the {model}", "Suggestion for the {model}", "Per-GPU power usage in the {model}?"],
        problems: &["It would be great if the {model} could export the server list to CSV.", "Could you add an option to the {model} to schedule firmware updates?", "We would like to see per-GPU power usage in the {model}."],
        details: &["Several of our engineers asked for this.", "Other vendors already offer this.", "We would be happy to beta test it."],
    },
    Topic {
        tag: "general", group: Group::Question,
        models: &["support contract", "warranty", "datasheet"],
        codes: &["question"],
        subjects: &["Question about the {model}", "How long is the warranty?", "General question about our account"],
        problems: &["Could you tell me what the {model} covers for our servers?", "I would like to know whether the warranty can be extended to five years.", "Where can I find the latest datasheet for the {model}?"],
        details: &["We are planning next year's budget.", "This is not urgent.", "Our account manager is on leave."],
    },
];

/// Log excerpts that some technical tickets paste in; `{host}`/`{code}` get filled in.
pub const HARDWARE_LOGS: &[&str] = &[
    "[ 8123.442190] {host} kernel: {code}\n[ 8123.442201] {host} kernel: pcieport 0000:40:01.1: AER: Uncorrected (Fatal) error received\n[ 8123.442250] {host} kernel: device offline, reset required",
    "SEL entry 0x{n}{n}: 2026 | Critical | {code} | Asserted\nSEL entry 0x{n}{n}: 2026 | Warning  | Correctable error logging limit reached",
    "ipmitool sel list\n   1 | Pre-Init | System Event | Unknown #0x07 | Asserted\n   2 | {code} | Asserted",
];

pub const SOFTWARE_LOGS: &[&str] = &[
    "ERROR [api-worker-{n}] request failed: {code}\n  at Provisioning.listServers(Provisioning.java:214)\n  at Api.handle(Api.java:88)",
    "Traceback (most recent call last):\n  File \"agent/main.py\", line 41, in <module>\n    run()\nRuntimeError: {code}",
    "$ zcli servers list --all\nerror: {code} (request id {serial})",
];

pub const FIRST_NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Mia", "Mateo", "Sofia", "Elias", "Amara",
    "Hiroshi", "Priya", "Chen", "Fatima", "Jonas", "Ingrid", "Diego", "Leila", "Tomasz", "Aisha",
    "Kwame", "Yuki", "Ravi", "Elena", "Marco", "Chloe", "Omar", "Hannah", "Sven", "Grace", "Pedro",
    "Nadia", "Felix", "Zoe", "Arjun", "Camille", "Lars", "Maya", "Samuel",
];

pub const LAST_NAMES: &[&str] = &[
    "Smith",
    "Garcia",
    "Müller",
    "Rossi",
    "Kowalski",
    "Nguyen",
    "Okafor",
    "Tanaka",
    "Patel",
    "Johansson",
    "Dubois",
    "Silva",
    "Kim",
    "Novak",
    "Hansen",
    "Cohen",
    "Mensah",
    "Schmidt",
    "Lopez",
    "Brown",
    "Ivanova",
    "Yilmaz",
    "O'Brien",
    "Fischer",
    "Singh",
    "Moreau",
    "Bianchi",
    "Andersen",
    "Wright",
    "Haddad",
];

pub const ORG_PREFIXES: &[&str] = &[
    "Northwind",
    "Bluepeak",
    "Helios",
    "Quantum",
    "Redwood",
    "Arcadia",
    "Vertex",
    "Nimbus",
    "Ironclad",
    "Polaris",
];

pub const ORG_SUFFIXES: &[&str] = &["Labs", "Systems", "Analytics", "Cloud", "Robotics"];

/// Support agents (assignees and authors of replies), by index.
pub const AGENTS: &[&str] = &[
    "Sam Carter",
    "Alex Morgan",
    "Jordan Lee",
    "Taylor Brooks",
    "Casey Nguyen",
    "Riley Evans",
];
