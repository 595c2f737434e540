//! Stand-in documents for the demo's applications: a one-page PDF that every reader opens,
//! saying it is a sample. Written out by hand (five objects and their cross-reference table)
//! rather than through the notice PDF's typesetter, which embeds a CJK font of several MB.

/// A valid one-page A4 PDF showing `line` (ASCII) in Helvetica.
pub fn sample_pdf(line: &str) -> Vec<u8> {
    let text: String = line
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .map(|c| match c {
            '(' | ')' | '\\' => ' ',
            other => other,
        })
        .collect();
    let stream =
        format!("BT /F1 18 Tf 72 760 Td ({text}) Tj 0 -28 Td (Zijin demo sample document) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (n, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", n + 1).as_bytes());
    }
    let xref = pdf.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        table.push_str(&format!("{offset:010} 00000 n \n"));
    }
    pdf.extend_from_slice(table.as_bytes());
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sample_is_a_pdf_whose_table_points_at_its_objects() {
        let pdf = super::sample_pdf("Empowerment agreement (sample)");
        assert!(pdf.starts_with(b"%PDF-1.4"));
        let text = String::from_utf8(pdf.clone()).unwrap();
        let start: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[start..].starts_with("xref"));
        for (n, line) in text[start..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(text[offset..].starts_with(&format!("{} 0 obj", n + 1)));
        }
        assert_eq!(
            zijin_domain::sniff_attachment(&pdf).map(|t| t.0),
            Some("application/pdf")
        );
    }
}
