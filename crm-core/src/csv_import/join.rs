//! [`join`]: a file's rows with the columns of another file's matching row — what a shop's
//! export spreads over two files (an order and its buyer, a line and its product) put back
//! into one, so that one field map can read it.

use std::collections::HashMap;

use super::run::{open, RowError};

/// `bytes` with, on each row, the other columns of the row of `table` whose `table_key`
/// column equals the row's `key` column (a left join: a row without a match keeps empty
/// cells). The result is a comma-separated file with the headers of both.
pub fn join(bytes: &[u8], key: &str, table: &[u8], table_key: &str) -> Result<Vec<u8>, RowError> {
    let (mut left, left_headers) = open(bytes)?;
    let (mut right, right_headers) = open(table).map_err(|e| RowError {
        file: Some("joined".into()),
        ..e
    })?;
    let position = |headers: &[String], name: &str, file: Option<&str>| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| RowError {
                file: file.map(str::to_owned),
                ..RowError::whole(1, format!("no column {name:?}"))
            })
    };
    let left_at = position(&left_headers, key, None)?;
    let right_at = position(&right_headers, table_key, Some("joined"))?;
    let added: Vec<usize> = (0..right_headers.len())
        .filter(|i| *i != right_at)
        .collect();
    let mut rows: HashMap<String, Vec<String>> = HashMap::new();
    for (i, record) in right.records().enumerate() {
        let record = record.map_err(|e| RowError {
            file: Some("joined".into()),
            ..RowError::whole(i as u64 + 2, format!("not a CSV row: {e}"))
        })?;
        let cells = added
            .iter()
            .map(|c| record.get(*c).unwrap_or_default().to_owned())
            .collect();
        rows.entry(record.get(right_at).unwrap_or_default().trim().to_owned())
            .or_insert(cells);
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| RowError::whole(0, format!("cannot write the joined file: {e}"));
    let headers = left_headers
        .iter()
        .chain(added.iter().filter_map(|c| right_headers.get(*c)));
    out.write_record(headers).map_err(fail)?;
    let empty = vec![String::new(); added.len()];
    for (i, record) in left.records().enumerate() {
        let record =
            record.map_err(|e| RowError::whole(i as u64 + 2, format!("not a CSV row: {e}")))?;
        let matched = rows
            .get(record.get(left_at).unwrap_or_default().trim())
            .unwrap_or(&empty);
        out.write_record(record.iter().chain(matched.iter().map(String::as_str)))
            .map_err(fail)?;
    }
    out.into_inner()
        .map_err(|e| RowError::whole(0, format!("cannot write the joined file: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_gets_its_matchs_columns_and_a_row_without_one_empty_cells() {
        let orders = b"order,customer\nO1,c1\nO2,c9\nO3,c2\n";
        let customers = b"\xEF\xBB\xBFid;person;city\nc1;P1;Rio\nc2;P1;\"S\xC3\xA3o Paulo\"\n";
        let joined = join(orders, "customer", customers, "id").unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&joined),
            "order,customer,person,city\nO1,c1,P1,Rio\nO2,c9,,\nO3,c2,P1,São Paulo\n"
        );
        let missing = join(orders, "buyer", customers, "id");
        assert!(missing.is_err_and(|e| e.to_string().contains("no column \"buyer\"")));
    }
}
