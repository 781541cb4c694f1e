//! The SMTP sender against a real SMTP server on loopback, started here (mailin-embedded):
//! the survey arrives rendered, with its Message-ID; a mailbox the server refuses for good
//! (550) is recorded as failed with the server's answer, and not tried again.
#![cfg(feature = "smtp")]
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use chrono::TimeDelta;
use crm::clock::{Clock, ManualClock};
use crm::domain::automation::builtin;
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::event::Actor;
use crm::outbox::SmtpSender;
use crm::projection::Delivery;
use crm::{CrmOptions, MemoryStore};
use mailin_embedded::{response, Handler, Response, Server};
use support::automation::{deliver, switch_on};
use support::{contact, start};

/// One message as the server took it: its recipients and its bytes.
type Received = (Vec<String>, String);

/// Keeps what arrives; refuses the mailbox `refused@example.com`.
#[derive(Clone, Default)]
struct Inbox {
    received: Arc<Mutex<Vec<Received>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Inbox {
    fn rcpt(&mut self, to: &str) -> Response {
        if to.contains("refused@") {
            response::NO_MAILBOX
        } else {
            response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let text = String::from_utf8_lossy(&self.data).into_owned();
        self.received
            .lock()
            .unwrap()
            .push((std::mem::take(&mut self.to), text));
        response::OK
    }
}

/// An SMTP server on a free loopback port, serving on its own thread until the test ends.
fn smtp_server() -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Inbox::default();
    let received = inbox.received.clone();
    let mut server = Server::new(inbox);
    server
        .with_name("mx.test")
        .with_num_threads(2)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        // A server that stops serving fails the test by what then does not arrive.
        if let Err(e) = server.serve() {
            eprintln!("the SMTP server stopped: {e}");
        }
    });
    (port, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survey_arrives_through_smtp_and_a_refused_mailbox_is_not_tried_again() {
    let (port, received) = smtp_server();
    let clock = ManualClock::new(start());
    let store = MemoryStore::with_clock(Arc::new(clock.clone()));
    let crm = support::deterministic(store, &clock, CrmOptions::default());
    switch_on(&crm, &builtin::survey_after_delivery()).await;
    for (n, given, email) in [
        (1, "Ana", "ana@example.com"),
        (2, "Bea", "refused@example.com"),
    ] {
        let create = CreateContact::new(contact(n), given, "Test").email(email);
        crm.execute(&Actor::System, ContactCommand::Create(create))
            .await
            .unwrap();
        deliver(&crm, &clock, n, n, start() + TimeDelta::days(1)).await;
    }
    clock.set(start() + TimeDelta::days(2) + TimeDelta::hours(1));
    assert_eq!(crm.run_due(clock.now()).await.unwrap().queued, 2);

    let sender = SmtpSender::unencrypted(
        "127.0.0.1",
        port,
        "Tienda <hola@tienda.example>".parse().unwrap(),
    );
    let run = crm.send(&sender).await.unwrap();
    assert_eq!((run.sent, run.failed), (1, 1));
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    let (to, text) = &got[0];
    assert_eq!(to, &["ana@example.com".to_owned()]);
    let ana = crm.query_unfiltered(|v| {
        v.outbox
            .all()
            .into_iter()
            .find(|e| matches!(e.delivery, Delivery::Sent { .. }))
            .unwrap()
            .message
            .message_id
    });
    assert!(text.contains(&format!("Message-ID: <{ana}@crm>")), "{text}");
    assert!(text.contains("Subject: How was your order?"), "{text}");
    assert!(text.contains("Dear Ana,"), "{text}");

    let failed = crm.query_unfiltered(|v| {
        v.outbox
            .all()
            .into_iter()
            .find_map(|e| match &e.delivery {
                Delivery::Failed {
                    attempts, reason, ..
                } => Some((*attempts, reason.clone())),
                _ => None,
            })
            .unwrap()
    });
    // A 550 is a refusal for good: recorded as the last try, never sent again.
    assert_eq!(failed.0, 3);
    assert!(
        failed.1.as_deref().unwrap().contains("Mailbox unavailable"),
        "{failed:?}"
    );
    let run = crm.send(&sender).await.unwrap();
    assert_eq!((run.sent, run.failed), (0, 0), "not tried again");
    assert_eq!(received.lock().unwrap().len(), 1, "Ana got hers once");
}
