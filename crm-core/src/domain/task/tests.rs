use super::*;
use crate::ids::ContactId;
use crate::testing::given;
use chrono::TimeZone;

fn task_id() -> TaskId {
    TaskId::from_uuid(uuid::Uuid::from_u128(0x7a5c))
}

fn ana() -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(0xa7a))
}

fn bob() -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(0xb0b))
}

fn due() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

fn schedule() -> ScheduleTask {
    ScheduleTask {
        task_id: task_id(),
        title: " Call about the delivery ".into(),
        kind: TaskKind::Call,
        due: due(),
        assignee: ana(),
        customer: Some(CustomerId::Contact(ContactId::from_uuid(
            uuid::Uuid::from_u128(7),
        ))),
        deal: None,
    }
}

fn scheduled() -> Event {
    let s = schedule();
    TaskScheduled {
        task_id: task_id(),
        title: "Call about the delivery".into(),
        kind: s.kind,
        due: s.due,
        assignee: s.assignee,
        customer: s.customer,
        deal: s.deal,
    }
    .into()
}

fn completed() -> Event {
    TaskCompleted { task_id: task_id() }.into()
}

fn cancelled() -> Event {
    TaskCancelled {
        task_id: task_id(),
        reason: None,
    }
    .into()
}

#[test]
fn scheduling_puts_the_task_on_a_list() {
    given::<Task>([])
        .when(TaskCommand::Schedule(schedule()))
        .then_events([scheduled()]);
    let mut blank = schedule();
    blank.title = "  ".into();
    given::<Task>([])
        .when(TaskCommand::Schedule(blank))
        .then_error_text("a task needs a name, and the one given has no letters or digits");
}

#[test]
fn scheduling_the_same_task_again_changes_nothing_even_after_it_moved_on() {
    let reassigned = TaskReassigned {
        task_id: task_id(),
        assignee: bob(),
    };
    given::<Task>([scheduled(), reassigned.into(), completed()])
        .when(TaskCommand::Schedule(schedule()))
        .then_nothing();
    let mut other = schedule();
    other.kind = TaskKind::Meeting;
    given::<Task>([scheduled()])
        .when(TaskCommand::Schedule(other))
        .then_error_text(&format!(
            "task {} already exists with different details",
            task_id()
        ));
}

#[test]
fn an_open_task_can_be_reassigned_rescheduled_completed_or_cancelled() {
    given::<Task>([scheduled()])
        .when(TaskCommand::Reassign {
            task_id: task_id(),
            assignee: bob(),
        })
        .then_events([TaskReassigned {
            task_id: task_id(),
            assignee: bob(),
        }
        .into()]);
    given::<Task>([scheduled()])
        .when(TaskCommand::Reassign {
            task_id: task_id(),
            assignee: ana(),
        })
        .then_nothing();
    let later = due() + chrono::Duration::days(1);
    given::<Task>([scheduled()])
        .when(TaskCommand::Reschedule {
            task_id: task_id(),
            due: later,
        })
        .then_events([TaskRescheduled {
            task_id: task_id(),
            due: later,
        }
        .into()]);
    given::<Task>([scheduled()])
        .when(TaskCommand::Reschedule {
            task_id: task_id(),
            due: due(),
        })
        .then_nothing();
    given::<Task>([scheduled()])
        .when(TaskCommand::Complete { task_id: task_id() })
        .then_events([completed()]);
    given::<Task>([scheduled()])
        .when(TaskCommand::Cancel {
            task_id: task_id(),
            reason: Some(" customer ordered online ".into()),
        })
        .then_events([TaskCancelled {
            task_id: task_id(),
            reason: Some("customer ordered online".into()),
        }
        .into()]);
}

#[test]
fn a_closed_task_no_longer_changes() {
    given::<Task>([scheduled(), completed()])
        .when(TaskCommand::Complete { task_id: task_id() })
        .then_error_text(&format!(
            "task {} is completed and can no longer change",
            task_id()
        ));
    given::<Task>([scheduled(), cancelled()])
        .when(TaskCommand::Reassign {
            task_id: task_id(),
            assignee: bob(),
        })
        .then_error_text(&format!(
            "task {} is cancelled and can no longer change",
            task_id()
        ));
    given::<Task>([scheduled(), cancelled()])
        .when(TaskCommand::Reschedule {
            task_id: task_id(),
            due: due(),
        })
        .then_error_text(&format!(
            "task {} is cancelled and can no longer change",
            task_id()
        ));
    given::<Task>([])
        .when(TaskCommand::Cancel {
            task_id: task_id(),
            reason: None,
        })
        .then_error_text(&format!("task {} does not exist", task_id()));
}

#[test]
fn a_task_requires_its_customer_and_deal() {
    let mut s = schedule();
    let deal = DealId::from_uuid(uuid::Uuid::from_u128(5));
    s.deal = Some(deal);
    let needs = TaskCommand::Schedule(s.clone()).requirements();
    assert_eq!(
        needs,
        vec![
            Requirement::CustomerExists(s.customer.unwrap()),
            Requirement::DealExists(deal)
        ]
    );
}
