//! Throughput of the pure core: `mask_pii` (messages/s and MB/s over a realistic mix)
//! and the conversation engine (turns/s), plus the classifier alone.
//!
//! Run: `cargo bench -p sti-shared --bench domain`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sti_shared::chat::{self, Conversation, Input, Locale, PrivacyTerms};
use sti_shared::pii::mask_pii;

/// Support messages as visitors write them: most carry no PII, some carry several kinds.
const MESSAGES: &[&str] = &[
    "hola, la impresora no imprime desde ayer",
    "mi mail es ana.perez@gmail.com y mi cel 11 4567-8901",
    "me sale error 0x80070005 al instalar la KB5034441 en Windows 10 22H2",
    "DNI 30.123.456, CUIT 20-12345678-6, te paso el CBU 2850590940090418135201 para el reintegro",
    "pagué con la tarjeta 4111 1111 1111 1111 pero el pedido #4455667788 no llegó",
    "la notebook HP 15-dw1001la no prende, la compré el 15/03/2024 a $ 1.250.000",
    "ya probé reiniciar el router 192.168.0.1 y sigue sin internet",
    "llamame al +54 9 351 555-1234 después de las 18 hs por favor",
    "la pantalla parpadea cuando conecto el segundo monitor por HDMI, placa RTX 3060 12GB",
    "no anda",
];

const CONVERSATION: &[&str] =
    &["hola, me llamo Ana", "la compu está re lenta y se tilda", "no, sigo igual", "no", "sí"];

fn bench_mask(c: &mut Criterion) {
    let bytes: usize = MESSAGES.iter().map(|m| m.len()).sum();
    let mut group = c.benchmark_group("mask_pii");
    group.throughput(Throughput::Elements(MESSAGES.len() as u64));
    group.bench_function("messages", |b| {
        b.iter(|| {
            for m in MESSAGES {
                black_box(mask_pii(black_box(m)));
            }
        })
    });
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("bytes", |b| {
        b.iter(|| {
            for m in MESSAGES {
                black_box(mask_pii(black_box(m)));
            }
        })
    });
    let long = MESSAGES.join(" ").repeat(8);
    let long = &long[..long.floor_char_boundary(2_000)];
    group.throughput(Throughput::Bytes(long.len() as u64));
    group.bench_function("max_length_message", |b| b.iter(|| black_box(mask_pii(black_box(long)))));
    for (name, worst) in worst_cases() {
        group.throughput(Throughput::Bytes(worst.len() as u64));
        group.bench_function(name, |b| b.iter(|| black_box(mask_pii(black_box(&worst)))));
    }
    let corpus = corpus();
    group.throughput(Throughput::Bytes(corpus.iter().map(|m| m.len() as u64).sum()));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            for m in &corpus {
                black_box(mask_pii(black_box(m)));
            }
        })
    });
    group.finish();
}

/// 2,000-character messages built to make a number parser work hardest: one long span
/// of tiny digit groups (the old masker was cubic on these), and mixed separators.
fn worst_cases() -> Vec<(&'static str, String)> {
    let spaced: String = (0..1_000).map(|i| char::from(b'0' + (i % 10) as u8)).flat_map(|d| [d, ' ']).collect();
    let mixed: String = ["12-", "3.", "45 ", "6/", "78 ", "9-"].iter().cycle().take(1_000).copied().collect();
    vec![("worst_spaced_digits", spaced[..2_000].to_owned()), ("worst_mixed_separators", mixed[..2_000].to_owned())]
}

/// The messages of the PII test corpus (`scripts/gen-pii-corpus.py`).
fn corpus() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pii_corpus.jsonl");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_owned))
        .collect()
}

fn bench_engine(c: &mut Criterion) {
    let terms = PrivacyTerms { session_hours: 48, upload_days: 30, ticket_days: 90, backup_days: None };
    let mut group = c.benchmark_group("conversation");
    group.throughput(Throughput::Elements(CONVERSATION.len() as u64));
    group.bench_function("turns", |b| {
        b.iter(|| {
            let (mut conv, _) = chat::greet(Locale::Es, terms);
            for text in CONVERSATION {
                let masked = mask_pii(text);
                let turn = chat::respond(&conv, Input::Text { raw: text, masked: &masked }, &[]);
                conv = turn.conversation;
            }
            black_box(conv)
        })
    });
    group.throughput(Throughput::Elements(MESSAGES.len() as u64));
    group.bench_function("classify", |b| {
        b.iter(|| {
            for m in MESSAGES {
                black_box(chat::classify::classify(black_box(m)));
            }
        })
    });
    let long = MESSAGES.join(" ").repeat(8);
    let long = &long[..long.floor_char_boundary(2_000)];
    group.throughput(Throughput::Elements(1));
    group.bench_function("classify_max_length_message", |b| {
        b.iter(|| black_box(chat::classify::classify(black_box(long))))
    });
    let json = serde_json::to_string(&Conversation::new(Locale::Es)).unwrap_or_default();
    group.bench_function("conversation_json_round_trip", |b| {
        b.iter(|| {
            let conv: Option<Conversation> = serde_json::from_str(black_box(&json)).ok();
            black_box(conv.map(|c| serde_json::to_string(&c)))
        })
    });
    group.finish();
}

/// The conversation `scripts/chat-throughput` plays, split into what a turn spends on it:
/// the engine, masking the visitor's line, and masking the bot's reply.
fn bench_workload(c: &mut Criterion) {
    let terms = PrivacyTerms { session_hours: 48, upload_days: 30, ticket_days: 90, backup_days: None };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/throughput/messages.txt");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let said: Vec<(String, String)> =
        text.lines().filter(|l| !l.is_empty()).map(|l| (l.to_owned(), mask_pii(l))).collect();
    let (start, _) = chat::greet(Locale::Es, terms);
    let mut conv = start.clone();
    let mut replies = Vec::new();
    for (raw, masked) in &said {
        let turn = chat::respond(&conv, Input::Text { raw, masked }, &[]);
        replies.push(turn.reply.text.clone());
        conv = turn.conversation;
    }
    let mut group = c.benchmark_group("workload");
    group.throughput(Throughput::Elements(said.len() as u64));
    group.bench_function("engine", |b| {
        b.iter(|| {
            let mut conv = start.clone();
            for (raw, masked) in &said {
                conv = chat::respond(&conv, Input::Text { raw, masked }, &[]).conversation;
            }
            black_box(conv)
        })
    });
    group.bench_function("mask_visitor_lines", |b| {
        b.iter(|| {
            for (raw, _) in &said {
                black_box(mask_pii(black_box(raw)));
            }
        })
    });
    group.bench_function("mask_bot_replies", |b| {
        b.iter(|| {
            for reply in &replies {
                black_box(mask_pii(black_box(reply)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_mask, bench_engine, bench_workload);
criterion_main!(benches);
