use super::*;
use crate::Movement;

const HEADER: &str = "sku,title,location,on_hand,low_stock_threshold,max_per_cart,buffer,shopify\n";

struct Shop {
    topology: Topology,
    skus: BTreeMap<String, SkuConfig>,
    refs: PosIndex,
}

fn shop() -> Shop {
    let topology = Topology { locations: vec!["main-st".into(), "warehouse".into()], ..Topology::default() };
    let held = SkuConfig { title: "Held".into(), pos_refs: [("shopify".into(), "111".into())].into(), ..SkuConfig::default() };
    let skus: BTreeMap<String, SkuConfig> = [("HELD".to_string(), held)].into();
    let refs = PosIndex::new(skus.iter().map(|(s, c)| (s, &c.pos_refs)));
    Shop { topology, skus, refs }
}

fn read(shop: &Shop, text: &str) -> Result<Plan, Refusal> {
    plan(text.as_bytes(), &Catalog { topology: &shop.topology, skus: &shop.skus, refs: &shop.refs }, Timestamp(1_000))
}

fn bad_rows(shop: &Shop, text: &str) -> Vec<(u64, &'static str, String)> {
    match read(shop, text) {
        Err(Refusal::Rows(rows)) => rows.into_iter().map(|r| (r.line, r.error.code(), r.error.to_string())).collect(),
        other => panic!("expected bad rows, got {other:?}"),
    }
}

#[test]
fn a_good_file_creates_and_updates_with_counts() {
    let shop = shop();
    let text = format!(
        "{HEADER}SHIRT-M,\"Linen shirt, M\",main-st,7,2,5,fixed:2,222\nSHIRT-M,,warehouse,40,,,,\nHELD,,main-st,3,,,auto:1-4,\n"
    );
    let p = read(&shop, &text).unwrap();
    let statuses: Vec<_> = p.rows.iter().map(|r| (r.line, r.sku.as_str(), r.location.as_str(), r.status)).collect();
    assert_eq!(
        statuses,
        [
            (2, "SHIRT-M", "main-st", RowStatus::Created),
            (3, "SHIRT-M", "warehouse", RowStatus::Created),
            (4, "HELD", "main-st", RowStatus::Updated)
        ]
    );
    let shirt = &p.skus[0];
    assert!(shirt.created);
    assert_eq!(shirt.config.title, "Linen shirt, M");
    assert_eq!((shirt.config.low_stock_threshold, shirt.config.max_per_cart), (2, 5));
    assert_eq!(shirt.config.buffer, BufferPolicy::Fixed { units: 2 });
    assert_eq!(shirt.config.pos_refs.get("shopify").map(String::as_str), Some("222"));
    assert_eq!(shirt.counts[1].movement, Movement::Count { quantity: 40 });
    assert_eq!(shirt.counts[1].source.provider, "admin");
    // Empty cells keep what the SKU had: HELD keeps its title and its Shopify id.
    let held = &p.skus[1];
    assert!(!held.created);
    assert_eq!((held.config.title.as_str(), held.config.buffer.clone()), ("Held", BufferPolicy::Auto { min: 1, max: 4, store_hours: None }));
    assert_eq!(held.config.pos_refs.get("shopify").map(String::as_str), Some("111"));
}

#[test]
fn a_spreadsheets_bom_crlf_and_quotes_read_like_plain_text() {
    let shop = shop();
    let plain = read(&shop, "sku,title,location,on_hand\nA,\"Mug, blue\",main-st,3\n").unwrap();
    let spreadsheet = read(&shop, "\u{feff}sku,title,location,on_hand\r\n\"A\",\"Mug, blue\",\"main-st\",\"3\"\r\n").unwrap();
    assert_eq!(plain.skus[0].config, spreadsheet.skus[0].config);
    assert_eq!(plain.skus[0].counts[0].movement, spreadsheet.skus[0].counts[0].movement);
    assert_eq!(spreadsheet.rows[0].line, 2);
}

#[test]
fn every_bad_row_is_named_with_its_line_and_why() {
    let shop = shop();
    let text = format!(
        "{HEADER}OK,Fine,main-st,1,,,,\nA,x,main-st,-1,,,,\nB b,x,main-st,1,,,,\nC,x,attic,1,,,,\nOK,,main-st,2,,,,\nD,x,main-st,lots,,,,\nE,x,main-st,1,,0,,\nF,x,main-st,1,,,auto:5-1,\nG,x,main-st,1,,,,111\nH,x,main-st,1,,,,333\nI,x,main-st,1,,,,333\nOK,Other,warehouse,1,,,,\nJ,x,main-st,1,,,some,\n"
    );
    let rows = bad_rows(&shop, &text);
    let got: Vec<(u64, &str)> = rows.iter().map(|(l, c, _)| (*l, *c)).collect();
    assert_eq!(
        got,
        [
            (3, "invalid_input"),
            (4, "invalid_input"),
            (5, "unknown_location"),
            (6, "invalid_input"),
            (7, "invalid_input"),
            (8, "invalid_input"),
            (9, "invalid_input"),
            (10, "invalid_input"),
            (12, "invalid_input"),
            (13, "invalid_input"),
            (14, "invalid_input"),
        ]
    );
    let why = |line: u64| rows.iter().find(|r| r.0 == line).unwrap().2.clone();
    assert_eq!(why(3), "`on_hand` must be a whole number from 0 to 1000000");
    assert_eq!(why(4), "`sku` must match [A-Za-z0-9._-]{1,64}");
    assert_eq!(why(6), "`location` repeats line 2: one row per SKU and location");
    assert_eq!(why(7), "`on_hand` `lots` is not a whole number of units");
    assert_eq!(why(10), "`pos_refs` the shopify id `111` is already `HELD`'s");
    assert_eq!(why(12), "`pos_refs` the shopify id `333` is already `H`'s");
    assert_eq!(why(13), "`title` is `Other` here but `Fine` on line 2: the rows of one SKU share it");
    assert!(why(14).contains("`some` is not `none`, `fixed:N` or `auto:MIN-MAX`"));
}

#[test]
fn a_file_that_is_not_this_csv_is_refused_whole() {
    let shop = shop();
    let file_error = |text: &[u8]| match plan(text, &Catalog { topology: &shop.topology, skus: &shop.skus, refs: &shop.refs }, Timestamp(0)) {
        Err(Refusal::File(e)) => e.to_string(),
        other => panic!("expected a file refusal, got {other:?}"),
    };
    assert!(file_error(b"sku,title,location\nA,x,main-st\n").contains("lacks the column `on_hand`"));
    assert!(file_error(b"sku,title,location,on_hand,colour\n").contains("`colour` is not one of"));
    assert!(file_error(b"sku,title,location,on_hand,sku\n").contains("names `sku` twice"));
    assert!(file_error(b"sku,title,location,on_hand\n").contains("no rows"));
    assert!(file_error(b"sku,title,location,on_hand\nA,x,main-st\n").contains("line 2: has 3 fields where the header has 4"));
    assert!(file_error(b"sku,title,location,on_hand\nA,\xff,main-st,1\n").contains("not UTF-8"));
}

#[test]
fn the_same_file_counts_under_the_same_event_ids() {
    let shop = shop();
    let text = "sku,title,location,on_hand\nA,x,main-st,1\n";
    let id = |t: &str| read(&shop, t).unwrap().skus[0].counts[0].source.event_id.clone();
    assert_eq!(id(text), id(text));
    assert!(id(text).starts_with("csv-") && id(text).ends_with("-main-st"));
    assert_ne!(id(text), id("sku,title,location,on_hand\nA,x,main-st,2\n"));
}

#[test]
fn buffer_cells_read_back_what_they_write() {
    let hours = Some("09:00-19:00".to_string());
    for p in [
        BufferPolicy::None,
        BufferPolicy::Fixed { units: 2 },
        BufferPolicy::Auto { min: 1, max: 4, store_hours: None },
        BufferPolicy::Auto { min: 0, max: 6, store_hours: hours.clone() },
    ] {
        assert_eq!(parse_buffer(&buffer_cell(&p)).unwrap(), p);
    }
    assert_eq!(buffer_cell(&BufferPolicy::Auto { min: 0, max: 6, store_hours: hours }), "auto:0-6@09:00-19:00");
    assert_eq!(parse_buffer("Fixed: 3").unwrap(), BufferPolicy::Fixed { units: 3 });
    for bad in ["", "fixed", "fixed:-1", "auto:4", "auto:a-b", "lots", "auto:0-6@", "auto:0-6@9-19", "auto:0-6@09:00-09:00"] {
        assert!(parse_buffer(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_answers_say_what_a_file_does_or_name_each_bad_row() {
    let shop = shop();
    let good = read(&shop, &format!("{HEADER}NEW,New,main-st,1,,,,\nHELD,,main-st,2,,,,\n")).unwrap();
    let report = good.report(true);
    assert_eq!((report["dry_run"].as_bool(), report["created"].as_u64(), report["updated"].as_u64()), (Some(true), Some(1), Some(1)));
    assert_eq!(report["rows"][1], serde_json::json!({"line": 3, "sku": "HELD", "location": "main-st", "status": "updated"}));

    let refusal = read(&shop, &format!("{HEADER}A,x,main-st,many,,,,\nB,x,attic,1,,,,\n")).unwrap_err();
    assert_eq!(refusal.http_status(), 422);
    let body = refusal.body();
    assert_eq!(body["error"], "invalid_rows");
    assert_eq!(body["message"], "2 bad rows (the first, line 2: `on_hand` `many` is not a whole number of units); nothing was imported");
    assert_eq!((body["rows"][0]["line"].as_u64(), body["rows"][0]["field"].as_str()), (Some(2), Some("on_hand")));
    assert_eq!((body["rows"][1]["error"].as_str(), body["rows"][1]["location"].as_str()), (Some("unknown_location"), Some("attic")));

    let unreadable = read(&shop, "sku,title\n").unwrap_err();
    assert_eq!((unreadable.http_status(), unreadable.body()["field"].as_str()), (400, Some("header")));
}
