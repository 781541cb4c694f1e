//! A retried command writes once: a caller who retries `execute` after a backend error, with
//! the same command id, gets the first attempt's outcome instead of a second copy of its
//! events.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use crm::access::AllowAll;
use crm::domain::order::terms::PaymentMethod;
use crm::domain::order::{Order, OrderCommand};
use crm::ids::CommandId;
use crm::store::{EventStore, StoreError};
use crm::testing::faults::FailAfterWrite;
use crm::{Command, Crm, Error, MemoryStore, Request};
use futures::executor::block_on;
use support::*;

fn crm() -> Crm<FailAfterWrite<MemoryStore>> {
    Crm::new(FailAfterWrite::new(MemoryStore::new())).with_authorizer(AllowAll)
}

fn request(command_id: CommandId) -> Request {
    Request::by(manager()).with_command_id(command_id)
}

fn log_len<S: EventStore>(crm: &Crm<S>) -> usize {
    block_on(crm.store().read_all(0, usize::MAX)).unwrap().len()
}

#[test]
fn a_create_retried_after_a_lost_answer_is_carried_out_once() {
    let crm = crm();
    let command: Command = create_contact(contact(1), "Ana", "García").into();
    let id = CommandId::new();
    crm.store().arm(1);
    let first = block_on(crm.execute_request(request(id), command.clone()));
    assert!(
        matches!(first, Err(Error::Store(StoreError::Backend(_)))),
        "{first:?}"
    );
    let retry = block_on(crm.execute_request(request(id), command)).unwrap();
    assert!(
        retry.repeated,
        "the retry should see the first attempt's outcome"
    );
    assert_eq!(retry.events.len(), 1);
    assert_eq!(retry.version, 1);
    assert_eq!(log_len(&crm), 1);
}

#[test]
fn a_payment_retried_after_a_lost_answer_is_received_once() {
    let crm = crm();
    block_on(crm.execute(&manager(), create_contact(contact(1), "Ana", "García"))).unwrap();
    block_on(crm.execute(
        &manager(),
        shop::place(1, contact(1).into(), "chair", "chairs", 2, 5_000),
    ))
    .unwrap();
    let pay: Command = OrderCommand::ReceivePayment {
        order_id: shop::order(1),
        amount: shop::eur(4_000),
        method: PaymentMethod::Card,
    }
    .into();
    let id = CommandId::new();
    crm.store().arm(1);
    assert!(block_on(crm.execute_request(request(id), pay.clone())).is_err());
    for _ in 0..3 {
        let retry = block_on(crm.execute_request(request(id), pay.clone())).unwrap();
        assert!(retry.repeated);
    }
    let (order, _) = block_on(crm.load::<Order>(shop::order(1))).unwrap();
    assert_eq!(order.paid, 4_000, "the payment was received more than once");
}

#[test]
fn a_command_id_names_one_command_only() {
    let crm = crm();
    let id = CommandId::new();
    block_on(crm.execute_request(
        request(id),
        create_contact(contact(1), "Ana", "García").into(),
    ))
    .unwrap();
    let other = block_on(crm.execute_request(
        request(id),
        create_contact(contact(2), "Luis", "Pérez").into(),
    ));
    assert!(
        matches!(other, Err(Error::CommandIdReused { .. })),
        "{other:?}"
    );
    assert_eq!(log_len(&crm), 1);
}

#[test]
fn without_a_command_id_each_attempt_is_a_new_command() {
    let crm = crm();
    block_on(crm.execute(&manager(), create_contact(contact(1), "Ana", "García"))).unwrap();
    let pay = || OrderCommand::ReceivePayment {
        order_id: shop::order(1),
        amount: shop::eur(1_000),
        method: PaymentMethod::Card,
    };
    block_on(crm.execute(
        &manager(),
        shop::place(1, contact(1).into(), "chair", "chairs", 2, 5_000),
    ))
    .unwrap();
    block_on(crm.execute(&manager(), pay())).unwrap();
    block_on(crm.execute(&manager(), pay())).unwrap();
    let (order, _) = block_on(crm.load::<Order>(shop::order(1))).unwrap();
    assert_eq!(order.paid, 2_000);
}
