//! The names of the objects audit entries point at, so the log can be read as sentences
//! ("张三 通过了成果「…」") rather than as entity codes and numbers.

use std::collections::HashMap;

use sqlx::{Any, AssertSqlSafe, Executor, Row};

use crate::StoreResult;

/// How each kind of audited object is named: a query returning `id` and `title` for the ids
/// bound as one comma-separated text (split in SQL would differ between the backends, so the
/// ids are inlined as integers, which are safe).
fn naming_query(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "achievement" => "SELECT id, title FROM achievements WHERE id IN ({ids})",
        "demand" => "SELECT id, title FROM demands WHERE id IN ({ids})",
        "institution" => "SELECT id, name AS title FROM institutions WHERE id IN ({ids})",
        "user" => "SELECT id, display_name AS title FROM users WHERE id IN ({ids})",
        "call" => "SELECT id, title FROM calls WHERE id IN ({ids})",
        "list-issue" => "SELECT id, title FROM list_issues WHERE id IN ({ids})",
        "contract" => "SELECT id, title FROM tech_contracts WHERE id IN ({ids})",
        "application" => {
            "SELECT a.id, i.name || '申报的「' || c.title || '」' AS title FROM applications a \
             JOIN calls c ON c.id = a.call_id JOIN institutions i ON i.id = a.institution_id \
             WHERE a.id IN ({ids})"
        }
        "match" => {
            "SELECT m.id, '成果「' || a.title || '」与需求「' || d.title || '」' AS title \
             FROM matches m JOIN achievements a ON a.id = m.achievement_id \
             JOIN demands d ON d.id = m.demand_id WHERE m.id IN ({ids})"
        }
        "notice" => {
            "SELECT n.id, '「' || c.title || '」的公示' AS title FROM notices n \
             JOIN calls c ON c.id = n.call_id WHERE n.id IN ({ids})"
        }
        "objection" => {
            "SELECT o.id, '「' || c.title || '」公示的异议' AS title FROM objections o \
             JOIN notices n ON n.id = o.notice_id JOIN calls c ON c.id = n.call_id \
             WHERE o.id IN ({ids})"
        }
        "payment_batch" => {
            "SELECT b.id, '「' || c.title || '」的拨付批次' AS title FROM payment_batches b \
             JOIN calls c ON c.id = b.call_id WHERE b.id IN ({ids})"
        }
        "payment" => {
            "SELECT p.id, i.name || '的「' || c.title || '」拨付' AS title FROM payments p \
             JOIN applications a ON a.id = p.application_id JOIN calls c ON c.id = a.call_id \
             JOIN institutions i ON i.id = a.institution_id WHERE p.id IN ({ids})"
        }
        _ => return None,
    })
}

/// The titles of `ids` (as stored in the log's `entity_id`) of one kind of object; ids that
/// are not numbers, name no row, or belong to a kind without a name are left out.
pub async fn object_titles<'e>(
    db: impl Executor<'e, Database = Any>,
    entity: &str,
    ids: &[String],
) -> StoreResult<HashMap<String, String>> {
    if entity == "technical-field" {
        return technical_field_titles(db, ids).await;
    }
    let numbers: Vec<i64> = ids.iter().filter_map(|id| id.parse().ok()).collect();
    let Some(query) = naming_query(entity) else {
        return Ok(HashMap::new());
    };
    if numbers.is_empty() {
        return Ok(HashMap::new());
    }
    let list = numbers
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let sql = query.replace("{ids}", &list);
    let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(db).await?;
    let mut titles = HashMap::new();
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let title: Option<String> = row.try_get("title")?;
        if let Some(title) = title {
            titles.insert(id.to_string(), title);
        }
    }
    Ok(titles)
}

async fn technical_field_titles<'e>(
    db: impl Executor<'e, Database = Any>,
    codes: &[String],
) -> StoreResult<HashMap<String, String>> {
    let rows = sqlx::query("SELECT code, label FROM technical_fields")
        .fetch_all(db)
        .await?;
    let mut titles = HashMap::new();
    for row in rows {
        let code: String = row.try_get("code")?;
        if codes.contains(&code) {
            titles.insert(code, row.try_get("label")?);
        }
    }
    Ok(titles)
}
