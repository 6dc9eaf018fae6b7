//! What the simulated account names things with: its ticket fields (system ones and
//! custom ones with dropdown options), groups, brands and ticket forms, plus each
//! ticket's values of the newer custom fields and its metric set.
//!
//! The lists are fixed. A ticket's extra values come from streams of their own
//! (`stream::FIELDS`, `stream::METRICS`), so adding them changed nothing a ticket had
//! before: every earlier field, text and output stays as it was for a seed.

use serde::Serialize;
use serde_json::{json, Value};

use super::corpus::Group;
use super::data::{Dataset, Traits};
use super::prng::{stream, Rng};
use super::records::{CustomField, FieldValue};

/// A ticket field as `GET /api/v2/ticket_fields` returns it.
#[derive(Debug, Clone, Serialize)]
pub struct FieldRecord {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub active: bool,
    pub removable: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub custom_field_options: Vec<Value>,
}

pub const REGION_FIELD: u64 = 360_000_003;
pub const PRODUCT_FIELD: u64 = 360_000_005;
pub const PURCHASE_DATE_FIELD: u64 = 360_000_006;
pub const UNITS_FIELD: u64 = 360_000_007;
pub const PLATFORMS_FIELD: u64 = 360_000_008;

const REGIONS: [(&str, &str); 3] = [
    ("Europe", "eu"),
    ("North America", "us"),
    ("Asia Pacific", "apac"),
];
const PRODUCTS: [(&str, &str); 4] = [
    ("Devices", "product_devices"),
    ("Cloud console", "product_console"),
    ("Billing portal", "product_billing"),
    ("Mobile app", "product_mobile"),
];
const PLATFORMS: [(&str, &str); 3] = [
    ("Windows", "platform_windows"),
    ("macOS", "platform_macos"),
    ("Linux", "platform_linux"),
];

/// `[(name, tag)]` as Zendesk's `custom_field_options`, ids after the field's.
fn options(field: u64, list: &[(&str, &str)]) -> Vec<Value> {
    list.iter()
        .enumerate()
        .map(|(i, (name, value))| {
            json!({"id": field * 10 + i as u64, "name": name, "raw_name": name, "value": value, "default": false})
        })
        .collect()
}

/// Every ticket field: the system ones first, then the custom ones.
pub fn ticket_fields() -> Vec<FieldRecord> {
    let field = |id, kind, title, removable, custom_field_options| FieldRecord {
        id,
        kind,
        title,
        active: true,
        removable,
        custom_field_options,
    };
    let system = [
        (360_000_101, "subject", "Subject"),
        (360_000_102, "description", "Description"),
        (360_000_103, "status", "Status"),
        (360_000_104, "tickettype", "Type"),
        (360_000_105, "priority", "Priority"),
        (360_000_106, "group", "Group"),
        (360_000_107, "assignee", "Assignee"),
    ];
    let mut out: Vec<FieldRecord> = system
        .into_iter()
        .map(|(id, kind, title)| field(id, kind, title, false, Vec::new()))
        .collect();
    out.extend([
        field(360_000_001, "text", "Model", true, Vec::new()),
        field(360_000_002, "text", "Serial number", true, Vec::new()),
        field(
            REGION_FIELD,
            "tagger",
            "Region",
            true,
            options(REGION_FIELD, &REGIONS),
        ),
        field(360_000_004, "checkbox", "Under warranty", true, Vec::new()),
        field(
            PRODUCT_FIELD,
            "tagger",
            "Product",
            true,
            options(PRODUCT_FIELD, &PRODUCTS),
        ),
        field(
            PURCHASE_DATE_FIELD,
            "date",
            "Purchase date",
            true,
            Vec::new(),
        ),
        field(UNITS_FIELD, "integer", "Units", true, Vec::new()),
        field(
            PLATFORMS_FIELD,
            "multiselect",
            "Platforms",
            true,
            options(PLATFORMS_FIELD, &PLATFORMS),
        ),
    ]);
    out
}

/// The groups tickets are assigned to: `20000 + Group` (as `group_id` says).
pub fn groups() -> Vec<Value> {
    let names = [
        (Group::Hardware, "Hardware support"),
        (Group::Billing, "Billing"),
        (Group::Account, "Accounts"),
        (Group::Shipping, "Shipping"),
        (Group::Software, "Software support"),
        (Group::Feature, "Product feedback"),
        (Group::Question, "General questions"),
    ];
    names
        .into_iter()
        .map(|(g, name)| json!({"id": group_id(g), "name": name, "deleted": false}))
        .collect()
}

pub fn group_id(group: Group) -> u64 {
    20_000 + group as u64
}

pub const BRAND: u64 = 1;
pub const ENTERPRISE_BRAND: u64 = 2;

pub fn brands() -> Vec<Value> {
    vec![
        json!({"id": BRAND, "name": "Acme", "subdomain": "acme", "active": true}),
        json!({"id": ENTERPRISE_BRAND, "name": "Acme Enterprise", "subdomain": "acme-enterprise", "active": true}),
    ]
}

pub const DEFAULT_FORM: u64 = 500_001;
pub const RETURN_FORM: u64 = 500_002;

pub fn ticket_forms() -> Vec<Value> {
    vec![
        json!({"id": DEFAULT_FORM, "name": "Default form", "active": true, "default": true}),
        json!({"id": RETURN_FORM, "name": "Device return", "active": true, "default": false}),
    ]
}

impl Traits {
    /// VIP organizations write in through the enterprise brand.
    pub fn brand(&self) -> u64 {
        if self.vip() {
            ENTERPRISE_BRAND
        } else {
            BRAND
        }
    }

    /// Hardware tickets use the device return form.
    pub fn form(&self) -> u64 {
        if self.group() == Group::Hardware {
            RETURN_FORM
        } else {
            DEFAULT_FORM
        }
    }

    fn product(&self) -> &'static str {
        match self.group() {
            Group::Hardware | Group::Shipping => PRODUCTS[0].1,
            Group::Software | Group::Feature => PRODUCTS[1].1,
            Group::Billing | Group::Account => PRODUCTS[2].1,
            Group::Question => PRODUCTS[3].1,
        }
    }
}

impl Dataset {
    /// The custom fields added after the first four: region as a dropdown tag is the
    /// text field the ticket already has; product, purchase date, units, platforms.
    pub(super) fn more_custom_fields(&self, id: u64, traits: &Traits) -> [CustomField; 4] {
        let mut rng = Rng::new(self.seed(), id, stream::FIELDS);
        let date = format!("2025-{:02}-{:02}", rng.range(1, 12), rng.range(1, 28));
        let units = rng.range(1, 40);
        let platforms: Vec<String> = PLATFORMS
            .iter()
            .filter(|_| rng.percent(40))
            .map(|(_, tag)| tag.to_string())
            .collect();
        let set = |on: bool, v: FieldValue| on.then_some(v);
        [
            CustomField {
                id: PRODUCT_FIELD,
                value: Some(FieldValue::Text(traits.product().to_string())),
            },
            CustomField {
                id: PURCHASE_DATE_FIELD,
                value: set(rng.percent(50), FieldValue::Text(date)),
            },
            CustomField {
                id: UNITS_FIELD,
                value: set(rng.percent(70), FieldValue::Number(units)),
            },
            CustomField {
                id: PLATFORMS_FIELD,
                value: set(!platforms.is_empty(), FieldValue::Tags(platforms)),
            },
        ]
    }

    /// The ticket's metric set (`include=metric_sets`): replies and reopens, and
    /// times in minutes that grow with how far the ticket got.
    pub fn metric_set(&self, id: u64) -> Option<Value> {
        let traits = self.traits(id)?;
        let mut rng = Rng::new(self.seed(), id, stream::METRICS);
        let finished = matches!(traits.status, "solved" | "closed");
        let replied = traits.status != "new";
        let reply = replied.then(|| rng.range(5, 600));
        let resolution = finished.then(|| rng.range(60, 20_000));
        let minutes = |m: Option<u64>| match m {
            Some(m) => json!({"calendar": m, "business": m * 2 / 5}),
            None => json!({"calendar": null, "business": null}),
        };
        let agent_wait = rng.range(0, 300);
        let requester_wait = resolution.map_or(rng.range(30, 3_000), |r| r / 2);
        Some(json!({
            "id": 900_000_000 + id,
            "ticket_id": id,
            "reopens": if finished && rng.percent(10) { 1 } else { 0 },
            "replies": traits.comments.saturating_sub(1) / 2 + u32::from(replied),
            "reply_time_in_minutes": minutes(reply),
            "first_resolution_time_in_minutes": minutes(resolution),
            "full_resolution_time_in_minutes": minutes(resolution),
            "agent_wait_time_in_minutes": minutes(Some(agent_wait)),
            "requester_wait_time_in_minutes": minutes(Some(requester_wait)),
        }))
    }
}
