//! How a session is stored in the `sessions.body` column: its JSON, LZ4-compressed, with
//! the knowledge base's steps named instead of copied (`chat::steps_by_reference`, since
//! schema version 5; a file of this version is refused by older builds, which could not
//! read such a row).
//!
//! Every turn rewrites its session's row. A long conversation's JSON (the steps of its
//! last attempts, in full) reaches 4–6 KB: more than a 4 KB page holds, so each turn
//! wrote the row's page *and* an overflow page. Compressed (the text repeats itself), it
//! is well under half of that and two or three sessions share a page.
//!
//! Rows written as plain JSON text (schema version 3 and before) are still read.

use rusqlite::types::ValueRef;

use crate::ports::{Session, StoreError, StoreResult};

/// The first byte of a compressed body; the rest is an LZ4 block with its size first.
const LZ4_JSON: u8 = 1;
/// A stored session never decompresses to more than this (a real one is a few KB).
const MAX_JSON_BYTES: usize = 1 << 20;
/// What a long conversation's JSON takes (see the module's note).
const JSON_BYTES_EXPECTED: usize = 4 << 10;

/// The column value for `session`.
pub fn encode(session: &Session) -> StoreResult<Vec<u8>> {
    let json = crate::chat::steps_by_reference(|| {
        // Sized for a long conversation at once, rather than grown through six doublings.
        let mut json = Vec::with_capacity(JSON_BYTES_EXPECTED);
        serde_json::to_writer(&mut json, session).map(|()| json)
    })
    .map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))?;
    Ok(compressed(&json))
}

/// The column value holding `json`.
fn compressed(json: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(1 + 4 + lz4_flex::block::get_maximum_output_size(json.len()));
    body.push(LZ4_JSON);
    body.extend_from_slice(&lz4_flex::block::compress_prepend_size(json));
    body
}

/// The session a column value holds.
pub fn decode(value: ValueRef<'_>) -> StoreResult<Session> {
    let corrupt = |what: String| StoreError::Corrupt(format!("cannot decode stored session: {what}"));
    let json = match value {
        ValueRef::Text(json) => return serde_json::from_slice(json).map_err(|e| corrupt(e.to_string())),
        ValueRef::Blob([LZ4_JSON, block @ ..]) => {
            let size = block.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes);
            match size {
                Some(size) if size as usize <= MAX_JSON_BYTES => {}
                _ => return Err(corrupt("bad size".into())),
            }
            lz4_flex::block::decompress_size_prepended(block).map_err(|e| corrupt(e.to_string()))?
        }
        _ => return Err(corrupt("unknown format".into())),
    };
    serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Attempt, Conversation, Locale, Outcome, kb};
    use crate::ids::SessionId;

    fn long_session() -> Session {
        let mut conversation = Conversation::new(Locale::Es);
        conversation.name = Some("Ana Pérez".into());
        conversation.problem = Some("mi notebook no prende desde ayer, ".repeat(15));
        for round in 0..8 {
            conversation.attempts.push(Attempt {
                category: "power".into(),
                round,
                steps: (0..5).map(|i| format!("Paso {i}: verificá que el cable de corriente esté bien enchufado en el equipo y en la pared; probá otro enchufe.").into()).collect(),
                outcome: Outcome::NotSolved,
            });
        }
        Session {
            id: SessionId::generate().unwrap_or_else(|e| panic!("{e}")),
            version: 1_476,
            created_at: 1,
            updated_at: 2,
            expires_at: 3,
            conversation,
            transcript_expires_at: 0,
            last_visitor_line: None,
            last_options: Vec::new(),
            feedback: Vec::new(),
            abandoned: None,
            chat_tat_us: None,
        }
    }

    #[test]
    fn a_long_session_round_trips_in_under_half_its_json() {
        let session = long_session();
        let json = serde_json::to_vec(&session).unwrap_or_default();
        let body = encode(&session).unwrap_or_default();
        assert!(json.len() > 4_096, "the sample must be a long one: {}", json.len());
        assert!(body.len() * 2 < json.len(), "{} bytes stored for {} of JSON", body.len(), json.len());
        assert_eq!(decode(ValueRef::Blob(&body)).ok(), Some(session));
    }

    /// A session in the middle of a long conversation about a printer: its rounds of
    /// steps are the knowledge base's, as the engine shows them.
    fn knowledge_base_session() -> Session {
        let mut session = long_session();
        let printer = kb::category("printer").unwrap_or_else(|| panic!("no printer category"));
        for (i, attempt) in session.conversation.attempts.iter_mut().enumerate() {
            let (locale, round) = if i % 2 == 0 { (Locale::Es, 1) } else { (Locale::En, 2) };
            attempt.category = printer.id.to_owned();
            attempt.round = round;
            attempt.steps = printer.steps(locale, round).iter().map(|s| (*s).into()).collect();
        }
        session
    }

    #[test]
    fn knowledge_base_steps_are_stored_by_name_and_come_back_word_for_word() {
        let session = knowledge_base_session();
        let full = encode_full(&session);
        let body = encode(&session).unwrap_or_default();
        // What every turn decodes and encodes, and what it writes.
        let (json, full_json) = (decoded_len(&body), decoded_len(&full));
        assert!(json * 3 < full_json, "{json} bytes of JSON, {full_json} with the steps copied");
        assert!(body.len() * 2 < full.len(), "{} bytes stored, {} with the steps copied", body.len(), full.len());
        assert_eq!(decode(ValueRef::Blob(&body)).ok(), Some(session.clone()));
        // The version-4 form (steps copied) is still read.
        assert_eq!(decode(ValueRef::Blob(&full)).ok(), Some(session));
    }

    fn decoded_len(body: &[u8]) -> usize {
        lz4_flex::block::decompress_size_prepended(&body[1..]).map(|json| json.len()).unwrap_or_default()
    }

    /// A body as schema version 4 wrote it: every step copied.
    fn encode_full(session: &Session) -> Vec<u8> {
        compressed(&serde_json::to_vec(session).unwrap_or_default())
    }

    #[test]
    fn rows_stored_as_json_text_are_still_read() {
        let session = long_session();
        let json = serde_json::to_string(&session).unwrap_or_default();
        assert_eq!(decode(ValueRef::Text(json.as_bytes())).ok(), Some(session));
    }

    #[test]
    fn damaged_or_unknown_bodies_are_reported_not_guessed() {
        let body = encode(&long_session()).unwrap_or_default();
        let mut oversized = body.clone();
        oversized[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        for bad in [&body[..body.len() / 2], &oversized[..], &[2, 0, 0, 0, 0][..], &[][..]] {
            assert!(matches!(decode(ValueRef::Blob(bad)), Err(StoreError::Corrupt(_))), "{bad:?}");
        }
        assert!(matches!(decode(ValueRef::Integer(1)), Err(StoreError::Corrupt(_))));
        assert!(matches!(decode(ValueRef::Text(b"{not json")), Err(StoreError::Corrupt(_))));
    }
}
