//! The charts the example writes are well-formed SVG with what they claim to show.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

#[allow(dead_code)] // The example's `main` is not called here.
#[path = "../examples/charts.rs"]
mod example;

fn parse(path: &std::path::Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not well-formed: {e}", path.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let rects = root
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .count();
    let texts = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_owned()))
        .collect();
    (rects, texts)
}

#[tokio::test]
async fn the_example_writes_well_formed_charts() {
    let dir = tempfile::tempdir().unwrap();
    let files = example::write_charts(dir.path()).await.unwrap();
    let (rects, texts) = parse(&files[0]);
    // The background and one bar per month, May to October (the period ends 1 November).
    assert_eq!(rects, 1 + 6, "{texts:?}");
    for month in [
        "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10",
    ] {
        assert!(
            texts.iter().any(|t| t == month),
            "{month} missing: {texts:?}"
        );
    }
    let (rects, texts) = parse(&files[1]);
    assert_eq!(rects, 1 + 4, "the background and one bar per stage");
    // Deals n with n % 5 ≥ 1 reach Qualified: 16 of 20, and all 20 entered Lead.
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Lead: 20, 80 % on to Qualified")),
        "{texts:?}"
    );
}
