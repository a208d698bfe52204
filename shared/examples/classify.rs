//! How the knowledge base reads messages, one per line of stdin: the classification and
//! every category's score. `cargo run -p sti-shared --example classify <<< "el mouse no anda"`
//! — for growing `tests/fixtures/visitor_words.tsv` and seeing why a line misses.

fn main() {
    for line in std::io::stdin().lines().map_while(Result::ok) {
        let classification = sti_shared::chat::classify::classify(&line);
        println!("{line:?} → {classification:?} {:?}", sti_shared::chat::classify::scores(&line));
    }
}
