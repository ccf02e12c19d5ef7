//! Test support: a generated corpus of malformed and hostile messages (shared with the
//! guard's tests), and helpers to build and parse test messages.

use super::{parse, Inbound, Limits};

/// `s` with CR LF line ends, as messages travel.
pub(super) fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

/// The message `raw` read with the default limits; panics when it cannot be read.
pub(super) fn parse_ok(raw: &[u8]) -> Inbound {
    match parse(raw, &Limits::default()) {
        Ok(m) => m,
        Err(e) => panic!("parse failed: {e}"),
    }
}

/// A generated corpus of malformed and hostile messages.
pub(crate) fn hostile_corpus() -> Vec<Vec<u8>> {
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    let crlf = |s: &str| s.replace('\n', "\r\n").into_bytes();

    let multipart = crlf(concat!(
        "From: \"Dupont, Jean\" <jean@example.org>\n",
        "To: guichet@example.ca\n",
        "Subject: =?UTF-8?Q?Question_sur_le_R=C3=A9seau?=\n",
        "Message-ID: <abc@example.org>\n",
        "MIME-Version: 1.0\n",
        "Content-Type: multipart/mixed; boundary=\"outer\"\n",
        "\n",
        "--outer\n",
        "Content-Type: multipart/alternative; boundary=\"inner\"\n",
        "\n",
        "--inner\n",
        "Content-Type: text/plain; charset=iso-8859-1\n",
        "Content-Transfer-Encoding: quoted-printable\n",
        "\n",
        "Bonjour, qu'est-ce que le R=E9seau ?\n",
        "--inner\n",
        "Content-Type: text/html; charset=utf-8\n",
        "\n",
        "<p>Bonjour, qu'est-ce que le R&eacute;seau ?</p>\n",
        "--inner--\n",
        "--outer\n",
        "Content-Type: application/pdf; name=\"demande.pdf\"\n",
        "Content-Disposition: attachment; filename=\"demande.pdf\"\n",
        "Content-Transfer-Encoding: base64\n",
        "\n",
        "JVBERi0xLjQgZmFrZSBwZGYgY29udGVudCBoZXJl\n",
        "--outer\n",
        "Content-Type: message/rfc822\n",
        "\n",
        "From: a@b.c\n",
        "Subject: inner\n",
        "\n",
        "nested body\n",
        "--outer--\n",
    ));
    // Truncated at every 37th byte.
    for cut in (0..multipart.len()).step_by(37) {
        corpus.push(multipart[..cut].to_vec());
    }
    // Random bytes.
    for _ in 0..60 {
        let len = rng.below(3000);
        corpus.push((0..len).map(|_| rng.next() as u8).collect());
    }
    // Random bytes after a plausible header.
    for _ in 0..40 {
        let mut m = b"From: x@y.z\r\nSubject: ".to_vec();
        let len = rng.below(2000);
        m.extend((0..len).map(|_| rng.next() as u8));
        corpus.push(m);
    }
    // Random byte flips of the valid multipart message.
    for _ in 0..120 {
        let mut m = multipart.clone();
        for _ in 0..1 + rng.below(20) {
            let at = rng.below(m.len());
            m[at] = rng.next() as u8;
        }
        corpus.push(m);
    }
    // Missing or wrong boundaries.
    for body in [
        "Content-Type: multipart/mixed; boundary=\"b\"\n\nno boundary at all\n",
        "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nnever closed\n",
        "Content-Type: multipart/mixed\n\n--b\nContent-Type: text/plain\n\nno boundary parameter\n--b--\n",
        "Content-Type: multipart/alternative; boundary=\"\"\n\n--\n\n--\n",
        "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n--b\n--b--\n--b--\n",
        "Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\nContent-Type: message/delivery-status\n\nAction: failed\n",
        "Content-Type: message/rfc822\n\n",
        "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n!!!!\n",
        "Content-Type: text/plain; charset=\"x-unknown-charset\"\n\nunknown charset\n",
        "Content-Type: text/plain; charset=utf-8\n\n\u{0}\u{0}nul bytes\u{0}\n",
        "Content-Type: text/plain; charset=utf-7\nContent-Transfer-Encoding: base64\n\n@@@@====garbage====\n",
        "Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ=\n=\n<scr=\nipt>x</script><a href='<\n",
        "Content-Type: text/html\n\n<script>never closed",
        "Content-Type: text/html\n\n<!-- never closed",
        "Content-Type: text/html\n\n&#99999999999; &#x110000; &#xD800; &; &&&; &eacute",
        "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n\u{1}\u{2}\u{3}AAAA====BBB\n",
        "Content-Type: image/png; name==?bogus?Q?x?=\nContent-Disposition: attachment; filename*=utf-8''%FF%FE\n\nxx\n",
    ] {
        corpus.push(crlf(&format!("From: a@b.c\nSubject: t\n{body}")));
        corpus.push(format!("From: a@b.c\nSubject: t\n{body}").into_bytes());
    }
    // Boundaries nested 200 deep.
    let mut deep = String::from(
        "From: a@b.c\nSubject: deep\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n",
    );
    for level in 1..=200 {
        deep.push_str(&format!(
            "--b{}\nContent-Type: multipart/mixed; boundary=\"b{level}\"\n\n",
            level - 1
        ));
    }
    deep.push_str("--b200\nContent-Type: text/plain\n\ndeep text\n");
    corpus.push(deep.clone().into_bytes());
    for level in (0..=200).rev() {
        deep.push_str(&format!("--b{level}--\n"));
    }
    corpus.push(deep.into_bytes());
    // Nested message/rfc822, 50 deep.
    let mut nested = String::from("From: a@b.c\nSubject: nested\n\ninnermost\n");
    for _ in 0..50 {
        nested = format!("From: a@b.c\nContent-Type: message/rfc822\n\n{nested}");
    }
    corpus.push(nested.into_bytes());
    // A 100 KB single header line, and 5,000 headers.
    corpus.push(format!("From: a@b.c\nSubject: {}\n\nbody\n", "x".repeat(100_000)).into_bytes());
    corpus.push(format!("From: a@b.c\nX-Long: {}\n\nbody\n", "y ".repeat(60_000)).into_bytes());
    let many: String = (0..5000).map(|i| format!("X-H{i}: v\n")).collect();
    corpus.push(format!("From: a@b.c\n{many}\nbody\n").into_bytes());
    let many_to: String = (0..5000).map(|i| format!("To: p{i}@x.y\n")).collect();
    corpus.push(format!("From: a@b.c\n{many_to}\nbody\n").into_bytes());
    // Hostile headers: invalid UTF-8, NULs, control characters, bogus encoded words.
    let hostile_headers: Vec<Vec<u8>> = vec![
        b"Subject: \xff\xfe\xfd invalid utf-8 \xc3\x28\r\nFrom: \xe9l\xe8ve <\xe9@b.c>\r\n\r\nbody".to_vec(),
        b"Subject: nul\x00byte\x00\r\nFrom: a\x00@b.c\r\n\r\nb\x00ody".to_vec(),
        b"Subject: \x1b[31mred\x07\x08\x7f\r\nFrom: \"\x1b\x01name\" <a@b.c>\r\n\r\nx".to_vec(),
        b"Subject: =?bogus-charset?Q?R=E9seau?= =?x?B?!!!?= =?utf-8?Q?=FF=FE?=\r\nFrom: =?nope?B?AAAA?= <a@b.c>\r\n\r\nx".to_vec(),
        b"Subject: =?UTF-8?B?G1szMW0NCkJjYzogZXZpbEB4Lnk=?=\r\nFrom: =?UTF-8?B?G1szMW0NCkJjYzogZXZpbEB4Lnk=?= <a@b.c>\r\n\r\nx".to_vec(),
        b"Subject: =?utf-8?q?=0D=0A=00=1B?= =?\r\nFrom: <<<>>>@@@\r\nReply-To: \"unterminated\r\n\r\nx".to_vec(),
        b"From: a@b.c\r\nSubject: =?UTF-8?Q?".iter().copied().chain(b"=E2=80=AE".repeat(400)).chain(b"?=\r\n\r\nx".iter().copied()).collect(),
        b"From: a@b.c\r\nMessage-ID: <\r\nIn-Reply-To: <<<<>>>>\r\nReferences: <a> <b\r\nReturn-Path: <\r\n\r\nx".to_vec(),
        b"From:\r\nTo:\r\nSubject:\r\nContent-Type:\r\n\r\n".to_vec(),
        b"From: a@b.c\r\nContent-Type: text/plain; charset=\xff\xfe\r\n\r\n\xe9\xe8".to_vec(),
        b"From: a@b.c\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n<p>\x93\x94\x9c\x80</p><blockquote>".to_vec(),
    ];
    for h in hostile_headers {
        corpus.push(h);
    }
    // Structured garbage: random header names and values with control characters.
    for _ in 0..40 {
        let mut m = Vec::new();
        for _ in 0..rng.below(30) {
            let name_len = 1 + rng.below(12);
            m.extend((0..name_len).map(|_| b'A' + (rng.below(26) as u8)));
            m.extend_from_slice(b": ");
            let value_len = rng.below(200);
            m.extend((0..value_len).map(|_| match rng.below(6) {
                0 => rng.next() as u8,
                1 => b'=',
                2 => b'?',
                _ => b'a' + rng.below(26) as u8,
            }));
            m.extend_from_slice(if rng.below(2) == 0 { b"\r\n" } else { b"\n" });
        }
        m.extend_from_slice(b"\r\n");
        m.extend((0..rng.below(500)).map(|_| rng.next() as u8));
        corpus.push(m);
    }
    corpus.push(Vec::new());
    corpus.push(b"   \r\n\r\n ".to_vec());
    corpus.push(b"\r\n\r\nbody without header".to_vec());
    corpus
}
