//! Proptest strategies for the events of pipelines, deals, tasks, orders, interactions,
//! feedback and campaigns — with text that has quotes, escapes, emoji and combining marks —
//! so the wire, damaged-JSON and replay properties reach every event type.

use chrono::{DateTime, NaiveDate, Utc};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use crate::domain::campaign::CampaignCreated;
use crate::domain::deal::events::*;
use crate::domain::details::{Address, LeadSource};
use crate::domain::feedback::{FeedbackGiven, Score};
use crate::domain::interaction::{Channel, Direction, InteractionLogged, Outcome};
use crate::domain::order::events::*;
use crate::domain::order::terms::*;
use crate::domain::pipeline::events::*;
use crate::domain::pipeline::{ActionKind, NextAction, StageDefinition};
use crate::domain::task::events::*;
use crate::domain::task::TaskKind;
use crate::event::Event;
use crate::ids::*;
use crate::money::{Currency, Money};

/// Text as people and other systems write it: quotes, backslashes, line breaks, emoji,
/// combining marks, right-to-left script, a byte-order mark — or any printable string.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(vec![
            "Chair",
            "Mesa \"grande\"",
            "back\\slash and \\u0041",
            "tab\there, line\nbreak\r\n",
            "emoji 🪑👍🏽 and a family 👨‍👩‍👧",
            "combining: e\u{301} n\u{303} a\u{30a}",
            "\u{feff}byte-order mark",
            "zero\u{200b}width",
            "שלום עולם",
            "日本語のテキスト",
            "</script><b>",
            "",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,24}",
    ]
}

fn id<T: From<uuid::Uuid> + std::fmt::Debug + Clone>(
    range: std::ops::RangeInclusive<u128>,
) -> impl Strategy<Value = T> + Clone {
    range.prop_map(|n| T::from(uuid::Uuid::from_u128(n)))
}

fn currency() -> impl Strategy<Value = Currency> {
    select(vec!["EUR", "BRL", "USD"])
        .prop_map(|c| Currency::new(c).unwrap_or_else(|e| panic!("{e}")))
}

fn money() -> impl Strategy<Value = Money> {
    (-1_000i64..10_000_000, currency()).prop_map(|(minor, c)| Money::new(minor, c))
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (1990..2100i32, 1..=12u32, 1..=28u32)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default())
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_000_000_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default())
}

fn customer() -> impl Strategy<Value = CustomerId> {
    prop_oneof![
        id::<ContactId>(1..=4).prop_map(CustomerId::Contact),
        id::<CompanyId>(101..=102).prop_map(CustomerId::Company),
    ]
}

fn source() -> impl Strategy<Value = LeadSource> {
    select(vec![
        LeadSource::Web,
        LeadSource::OrganicSearch,
        LeadSource::PaidSearch,
        LeadSource::Social,
        LeadSource::Email,
        LeadSource::Referral,
        LeadSource::Phone,
        LeadSource::Marketplace,
        LeadSource::Other,
        LeadSource::Named("other_publicities".into()),
    ])
}

fn stage() -> impl Strategy<Value = StageDefinition> {
    let action = (
        prop_oneof![
            Just(ActionKind::Call),
            Just(ActionKind::Write),
            Just(ActionKind::IssueInvoice),
            Just(ActionKind::ShipGoods),
            text().prop_map(ActionKind::Custom),
        ],
        0u32..1000,
    )
        .prop_map(|(kind, due_in_hours)| NextAction { kind, due_in_hours });
    (
        id::<StageId>(301..=305),
        text(),
        0u8..=100,
        vec(action, 0..3),
    )
        .prop_map(|(stage_id, name, probability, actions)| StageDefinition {
            stage_id,
            name,
            probability,
            actions,
        })
}

fn address() -> impl Strategy<Value = Address> {
    (text(), option::of(text()), text(), option::of(text())).prop_map(
        |(line1, line2, city, postal_code)| Address {
            line1,
            line2,
            city,
            postal_code,
            ..Address::default()
        },
    )
}

fn order_line() -> impl Strategy<Value = OrderLine> {
    (
        text(),
        text(),
        option::of(text()),
        0u32..5,
        money(),
        money(),
    )
        .prop_map(
            |(product_id, name, category, quantity, unit_price, tax)| OrderLine {
                product_id,
                name,
                category,
                quantity,
                unit_price,
                tax,
            },
        )
}

fn place_order() -> impl Strategy<Value = PlaceOrder> {
    (
        id::<OrderId>(601..=604),
        customer(),
        vec(order_line(), 0..3),
        money(),
        address(),
        option::of(address()),
        select(vec![
            SalesChannel::WebShop,
            SalesChannel::Phone,
            SalesChannel::Marketplace,
            SalesChannel::Store,
            SalesChannel::Other,
        ]),
        option::of(date()),
    )
        .prop_map(
            |(
                order_id,
                customer,
                lines,
                shipping,
                shipping_address,
                billing_address,
                channel,
                promised_delivery,
            )| PlaceOrder {
                order_id,
                customer,
                lines,
                shipping,
                shipping_address: shipping_address.into(),
                billing_address: billing_address.map(Into::into),
                channel,
                promised_delivery,
            },
        )
}

fn pipeline_event() -> impl Strategy<Value = Event> {
    let pipeline = id::<PipelineId>(401..=402);
    prop_oneof![
        (
            pipeline.clone(),
            text(),
            vec(stage(), 0..4),
            vec(text(), 0..3)
        )
            .prop_map(
                |(pipeline_id, name, stages, lost_reasons)| PipelineDefined {
                    pipeline_id,
                    name,
                    stages,
                    lost_reasons
                }
                .into()
            ),
        (pipeline.clone(), stage(), 0usize..5).prop_map(|(pipeline_id, stage, index)| {
            PipelineStageAdded {
                pipeline_id,
                stage,
                index,
            }
            .into()
        }),
        (pipeline.clone(), id::<StageId>(301..=305), text()).prop_map(
            |(pipeline_id, stage_id, name)| PipelineStageRenamed {
                pipeline_id,
                stage_id,
                name
            }
            .into()
        ),
        (pipeline.clone(), vec(id::<StageId>(301..=305), 0..5))
            .prop_map(|(pipeline_id, order)| PipelineStagesReordered { pipeline_id, order }.into()),
        (pipeline, id::<StageId>(301..=305)).prop_map(|(pipeline_id, stage_id)| {
            PipelineStageRetired {
                pipeline_id,
                stage_id,
            }
            .into()
        }),
    ]
}

fn deal_event() -> impl Strategy<Value = Event> {
    let deal = id::<DealId>(501..=503);
    let pipeline = id::<PipelineId>(401..=402);
    let stage = id::<StageId>(301..=305);
    let user = id::<UserId>(201..=202);
    prop_oneof![
        (
            (deal.clone(), pipeline.clone(), stage.clone(), 0u8..=100),
            (
                customer(),
                text(),
                money(),
                date(),
                user.clone(),
                option::of(source())
            )
        )
            .prop_map(
                |(
                    (deal_id, pipeline_id, stage_id, probability),
                    (customer, title, amount, expected_close, owner, source),
                )| DealOpened {
                    deal_id,
                    pipeline_id,
                    stage_id,
                    probability,
                    customer,
                    title,
                    amount,
                    expected_close,
                    owner,
                    source,
                }
                .into()
            ),
        (
            deal.clone(),
            pipeline.clone(),
            stage.clone(),
            stage.clone(),
            0u8..=100,
            money()
        )
            .prop_map(|(deal_id, pipeline_id, from, to, probability, amount)| {
                DealStageChanged {
                    deal_id,
                    pipeline_id,
                    from,
                    to,
                    probability,
                    amount,
                }
                .into()
            }),
        (deal.clone(), money())
            .prop_map(|(deal_id, amount)| DealAmountChanged { deal_id, amount }.into()),
        (deal.clone(), user)
            .prop_map(|(deal_id, owner)| DealOwnerChanged { deal_id, owner }.into()),
        (deal.clone(), date()).prop_map(|(deal_id, expected_close)| {
            DealExpectedCloseChanged {
                deal_id,
                expected_close,
            }
            .into()
        }),
        (deal.clone(), pipeline.clone(), stage.clone(), money()).prop_map(
            |(deal_id, pipeline_id, stage_id, amount)| DealWon {
                deal_id,
                pipeline_id,
                stage_id,
                amount
            }
            .into()
        ),
        (
            deal.clone(),
            pipeline.clone(),
            stage.clone(),
            money(),
            text(),
            option::of(text())
        )
            .prop_map(|(deal_id, pipeline_id, stage_id, amount, reason, note)| {
                DealLost {
                    deal_id,
                    pipeline_id,
                    stage_id,
                    amount,
                    reason,
                    note,
                }
                .into()
            }),
        (deal, pipeline, stage, 0u8..=100).prop_map(
            |(deal_id, pipeline_id, stage_id, probability)| DealReopened {
                deal_id,
                pipeline_id,
                stage_id,
                probability
            }
            .into()
        ),
    ]
}

fn task_event() -> impl Strategy<Value = Event> {
    let task = id::<TaskId>(701..=703);
    let user = id::<UserId>(201..=202);
    let kind = select(vec![
        TaskKind::Call,
        TaskKind::Email,
        TaskKind::Meeting,
        TaskKind::Invoice,
        TaskKind::Shipment,
        TaskKind::Other,
    ]);
    prop_oneof![
        (
            task.clone(),
            text(),
            kind,
            instant(),
            user.clone(),
            option::of(customer()),
            option::of(id::<DealId>(501..=503))
        )
            .prop_map(|(task_id, title, kind, due, assignee, customer, deal)| {
                TaskScheduled {
                    task_id,
                    title,
                    kind,
                    due,
                    assignee,
                    customer,
                    deal,
                }
                .into()
            }),
        (task.clone(), user)
            .prop_map(|(task_id, assignee)| TaskReassigned { task_id, assignee }.into()),
        (task.clone(), instant())
            .prop_map(|(task_id, due)| TaskRescheduled { task_id, due }.into()),
        task.clone()
            .prop_map(|task_id| TaskCompleted { task_id }.into()),
        (task, option::of(text()))
            .prop_map(|(task_id, reason)| TaskCancelled { task_id, reason }.into()),
    ]
}

fn order_event() -> impl Strategy<Value = Event> {
    let order = id::<OrderId>(601..=604);
    let method = select(vec![
        PaymentMethod::Card,
        PaymentMethod::BankTransfer,
        PaymentMethod::Voucher,
        PaymentMethod::Boleto,
        PaymentMethod::CashOnDelivery,
        PaymentMethod::Other,
    ]);
    let reason = select(vec![
        CancelReason::Customer,
        CancelReason::Declined,
        CancelReason::Fraud,
        CancelReason::Inventory,
        CancelReason::Staff,
        CancelReason::Other,
    ]);
    prop_oneof![
        (place_order(), money()).prop_map(|(order, total)| OrderPlaced { order, total }.into()),
        (order.clone(), money(), method).prop_map(|(order_id, amount, method)| {
            PaymentReceived {
                order_id,
                amount,
                method,
            }
            .into()
        }),
        (order.clone(), money(), option::of(text())).prop_map(|(order_id, amount, reason)| {
            RefundIssued {
                order_id,
                amount,
                reason,
            }
            .into()
        }),
        (
            order.clone(),
            select(vec![OrderCheck::CustomerData, OrderCheck::Stock])
        )
            .prop_map(|(order_id, check)| OrderCheckPassed { order_id, check }.into()),
        order
            .clone()
            .prop_map(|order_id| OrderPreparationStarted { order_id }.into()),
        (
            order.clone(),
            text(),
            option::of(text()),
            option::of(date())
        )
            .prop_map(|(order_id, carrier, tracking_number, estimated_delivery)| {
                OrderShipped {
                    order_id,
                    carrier,
                    tracking_number,
                    estimated_delivery,
                }
                .into()
            }),
        order
            .clone()
            .prop_map(|order_id| OrderDelivered { order_id }.into()),
        (order.clone(), reason, option::of(text())).prop_map(|(order_id, reason, note)| {
            OrderCancelled {
                order_id,
                reason,
                note,
            }
            .into()
        }),
        (
            order,
            vec(
                (text(), 0u32..5).prop_map(|(product_id, quantity)| ReturnedLine {
                    product_id,
                    quantity
                }),
                0..3
            ),
            option::of(text())
        )
            .prop_map(|(order_id, lines, reason)| OrderReturned {
                order_id,
                lines,
                reason
            }
            .into()),
    ]
}

fn conversation_event() -> impl Strategy<Value = Event> {
    let channel = select(vec![
        Channel::Call,
        Channel::Email,
        Channel::Meeting,
        Channel::Chat,
        Channel::Messenger,
        Channel::Social,
        Channel::Sms,
        Channel::WebForm,
    ]);
    let score = prop_oneof![
        (id::<OrderId>(601..=604), 0u8..7)
            .prop_map(|(order_id, stars)| Score::Review { order_id, stars }),
        (0u8..12).prop_map(|score| Score::Nps { score }),
        (0u8..9).prop_map(|score| Score::Ces { score }),
    ];
    prop_oneof![
        (
            (id::<InteractionId>(801..=803), customer(), channel),
            (
                select(vec![Direction::Inbound, Direction::Outbound]),
                option::of(id::<UserId>(201..=202)),
                option::of(0u32..10_000),
                text(),
                option::of(text())
            ),
            (
                option::of(select(vec![
                    Outcome::Resolved,
                    Outcome::FollowUpNeeded,
                    Outcome::NoAnswer
                ])),
                option::of(text())
            )
        )
            .prop_map(
                |(
                    (interaction_id, customer, channel),
                    (direction, handled_by, duration_seconds, subject, summary),
                    (outcome, source_message_id),
                )| InteractionLogged {
                    interaction_id,
                    customer,
                    channel,
                    direction,
                    handled_by,
                    duration_seconds,
                    subject: subject.into(),
                    summary: summary.map(Into::into),
                    outcome,
                    source_message_id,
                }
                .into()
            ),
        (
            id::<FeedbackId>(901..=903),
            customer(),
            score,
            option::of(text())
        )
            .prop_map(|(feedback_id, customer, score, comment)| FeedbackGiven {
                feedback_id,
                customer,
                score,
                comment: comment.map(Into::into)
            }
            .into()),
        (
            id::<CampaignId>(951..=952),
            text(),
            source(),
            date(),
            date(),
            money()
        )
            .prop_map(|(campaign_id, name, channel, starts, ends, cost)| {
                CampaignCreated {
                    campaign_id,
                    name,
                    channel,
                    starts,
                    ends,
                    cost,
                }
                .into()
            }),
        (
            id::<ContactId>(1..=4),
            source(),
            option::of(id::<CampaignId>(951..=952)),
            any::<bool>()
        )
            .prop_map(|(contact_id, source, campaign, lead)| {
                crate::domain::contact::events::ContactSourceRecorded {
                    contact_id,
                    source,
                    campaign,
                    lead,
                }
                .into()
            }),
        (id::<ContactId>(1..=4), text()).prop_map(|(contact_id, reason)| {
            crate::domain::contact::events::ContactErased { contact_id, reason }.into()
        }),
        (
            id::<ContactId>(1..=4),
            option::of(id::<CompanyId>(101..=102)),
            option::of(id::<DealId>(501..=503))
        )
            .prop_map(|(contact_id, company_id, deal_id)| {
                crate::domain::contact::events::LeadConverted {
                    contact_id,
                    company_id,
                    deal_id,
                }
                .into()
            }),
        (
            prop_oneof![
                id::<ContactId>(1..=4).prop_map(StreamId::from),
                id::<OrderId>(601..=604).prop_map(StreamId::from),
                id::<DealId>(501..=503).prop_map(StreamId::from),
                id::<FeedbackId>(901..=903).prop_map(StreamId::from),
            ],
            id::<ImportId>(7001..=7002)
        )
            .prop_map(|(stream, import_id)| {
                crate::domain::withdrawal::RecordWithdrawn { stream, import_id }.into()
            }),
    ]
}

/// Any event of pipelines, deals, tasks, orders, interactions, feedback, campaigns and
/// first-touch sources, with payloads that need not pass validation.
pub fn other_event() -> impl Strategy<Value = Event> {
    // Boxed: unboxed, the nested strategy types make value trees deep enough to overflow a
    // test thread's stack in a debug build.
    prop_oneof![
        pipeline_event().boxed(),
        deal_event().boxed(),
        task_event().boxed(),
        order_event().boxed(),
        conversation_event().boxed(),
        directory_event().boxed(),
        automation_event().boxed(),
    ]
}

/// Any event of an automation rule, with triggers, delays and actions that need not pass
/// validation.
pub fn automation_event() -> impl Strategy<Value = Event> {
    use crate::domain::automation::*;
    let rule = || id::<RuleId>(4001..=4003);
    let trigger = prop_oneof![
        Just(Trigger::OrderDelivered),
        any::<u16>().prop_map(|days_before| Trigger::Birthday { days_before }),
        any::<u32>().prop_map(|silence_percent| Trigger::Lapsed { silence_percent }),
        any::<u16>().prop_map(|after_days| Trigger::Unpaid { after_days }),
        (0u32..7, 0u32..24, 0u32..60).prop_map(|(day, hour, minute)| Trigger::Weekly {
            weekday: chrono::Weekday::try_from(u8::try_from(day).unwrap_or(0))
                .unwrap_or(chrono::Weekday::Mon),
            time: chrono::NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default(),
            zone: chrono_tz::Europe::Madrid,
        }),
    ];
    let channel = prop_oneof![Just(MessageChannel::Email), Just(MessageChannel::Sms)];
    let action = prop_oneof![
        (channel, text(), any::<bool>()).prop_map(|(channel, template, marketing)| {
            RuleAction::Message {
                channel,
                template,
                marketing,
            }
        }),
        text().prop_map(|title| RuleAction::Task {
            kind: TaskKind::Call,
            title
        }),
        id::<UserId>(2001..=2004).prop_map(|to| RuleAction::Report {
            family: ReportFamily::Sales,
            to
        }),
    ];
    prop_oneof![
        (rule(), text(), trigger, any::<u32>(), action).prop_map(
            |(rule_id, name, trigger, delay_minutes, action)| AutomationRuleDefined {
                rule_id,
                name,
                trigger,
                delay_minutes,
                action,
            }
            .into()
        ),
        rule().prop_map(|rule_id| AutomationRuleEnabled { rule_id }.into()),
        rule().prop_map(|rule_id| AutomationRuleDisabled { rule_id }.into()),
        message_event(),
        (text(), option::of(text()), text(), any::<bool>()).prop_map(
            |(name, subject, body, sms)| {
                crate::domain::template::TemplateSaved {
                    template_id: TemplateId::named(&name),
                    name,
                    channel: if sms {
                        MessageChannel::Sms
                    } else {
                        MessageChannel::Email
                    },
                    subject,
                    body,
                }
                .into()
            }
        ),
    ]
}

/// Any event of a message an automation sends.
fn message_event() -> BoxedStrategy<Event> {
    use crate::domain::automation::MessageChannel;
    use crate::domain::message::*;
    let message = || id::<MessageId>(5001..=5003);
    let customer = || id::<ContactId>(1..=4).prop_map(CustomerId::Contact);
    let reason = prop_oneof![
        Just(SkipReason::NoConsent),
        Just(SkipReason::Erased),
        Just(SkipReason::RuleDisabled),
        Just(SkipReason::NoCustomer),
        Just(SkipReason::NoUser),
        Just(SkipReason::Settled),
        Just(SkipReason::Capped),
    ];
    let to = || {
        prop_oneof![
            customer().prop_map(Recipient::Customer),
            id::<UserId>(2001..=2004).prop_map(Recipient::User),
        ]
    };
    prop_oneof![
        (
            message(),
            id::<RuleId>(4001..=4003),
            customer(),
            text(),
            any::<bool>(),
            instant(),
            id::<EventId>(1..=9)
        )
            .prop_map(
                |(message_id, rule_id, customer, template, marketing, due, cause)| {
                    MessageScheduled {
                        message_id,
                        rule_id: Some(rule_id),
                        to: Recipient::Customer(customer),
                        channel: MessageChannel::Email,
                        template,
                        marketing,
                        report: None,
                        due,
                        cause: Cause::Event(cause),
                    }
                    .into()
                }
            ),
        (message(), customer()).prop_map(|(message_id, customer)| MessageQueued {
            message_id,
            to: Recipient::Customer(customer),
        }
        .into()),
        (
            message(),
            id::<RuleId>(4001..=4003),
            date(),
            instant(),
            id::<UserId>(2001..=2004)
        )
            .prop_map(|(message_id, rule_id, week, due, user)| MessageScheduled {
                message_id,
                rule_id: Some(rule_id),
                to: Recipient::User(user),
                channel: MessageChannel::Email,
                template: "report-sales".into(),
                marketing: false,
                report: Some(crate::domain::automation::ReportFamily::Sales),
                due,
                cause: Cause::Week(week),
            }
            .into()),
        (
            message(),
            id::<RuleId>(4001..=4003),
            customer(),
            date(),
            id::<OrderId>(1..=3)
        )
            .prop_map(
                |(message_id, rule_id, customer, day, order)| MessageScheduled {
                    message_id,
                    rule_id: Some(rule_id),
                    to: Recipient::Customer(customer),
                    channel: MessageChannel::Sms,
                    template: "birthday".into(),
                    marketing: true,
                    report: None,
                    due: day.and_hms_opt(9, 0, 0).unwrap_or_default().and_utc(),
                    cause: if order.as_uuid().as_u128() % 2 == 0 {
                        Cause::Date(day)
                    } else {
                        Cause::Order(order)
                    },
                }
                .into()
            ),
        (message(), reason)
            .prop_map(|(message_id, reason)| MessageSkipped { message_id, reason }.into()),
        (
            message(),
            customer(),
            id::<CampaignId>(1..=3),
            text(),
            instant()
        )
            .prop_map(
                |(message_id, customer, campaign, template, due)| MessageScheduled {
                    message_id,
                    rule_id: None,
                    to: Recipient::Customer(customer),
                    channel: MessageChannel::Email,
                    template,
                    marketing: true,
                    report: None,
                    due,
                    cause: Cause::Mailing(campaign),
                }
                .into()
            ),
        (message(), to(), instant()).prop_map(|(message_id, to, at)| MessageSent {
            message_id,
            to,
            at
        }
        .into()),
        (message(), to(), instant(), 1..=MAX_ATTEMPTS, text()).prop_map(
            |(message_id, to, at, attempt, reason)| MessageFailed {
                message_id,
                to,
                at,
                attempt,
                reason: reason.into(),
            }
            .into()
        ),
        (message(), to(), instant(), text()).prop_map(|(message_id, to, at, reason)| {
            MessageBounced {
                message_id,
                to,
                at,
                reason: reason.into(),
            }
            .into()
        }),
    ]
    .boxed()
}

fn role() -> impl Strategy<Value = crate::access::Role> {
    use crate::access::{Role, COMMAND_NAMES};
    let grants = proptest::sample::subsequence(COMMAND_NAMES.to_vec(), 0..4)
        .prop_map(|names| names.into_iter().map(str::to_owned).collect());
    prop_oneof![
        Just(Role::Admin),
        Just(Role::HeadOfSales),
        Just(Role::Manager),
        Just(Role::Accountant),
        Just(Role::Viewer),
        grants.prop_map(|grants| Role::Integration { grants }),
    ]
}

/// Any event of the user directory: users and teams.
pub fn directory_event() -> impl Strategy<Value = Event> {
    use crate::domain::user::events::*;
    let user = || id::<UserId>(2001..=2004);
    let team = || id::<TeamId>(3001..=3002);
    prop_oneof![
        (user(), text(), text(), role(), option::of(team())).prop_map(
            |(user_id, name, email, role, team_id)| UserAdded {
                user_id,
                name,
                email,
                role,
                team_id
            }
            .into()
        ),
        (user(), text()).prop_map(|(user_id, name)| UserRenamed { user_id, name }.into()),
        (user(), role()).prop_map(|(user_id, role)| UserRoleChanged { user_id, role }.into()),
        (user(), option::of(team())).prop_map(|(user_id, team_id)| UserMovedToTeam {
            user_id,
            team_id
        }
        .into()),
        user().prop_map(|user_id| UserDeactivated { user_id }.into()),
        user().prop_map(|user_id| UserReactivated { user_id }.into()),
        (team(), text()).prop_map(|(team_id, name)| TeamCreated { team_id, name }.into()),
        (team(), text()).prop_map(|(team_id, name)| TeamRenamed { team_id, name }.into()),
    ]
}

/// A command for a task, an interaction, feedback or a campaign, drawn from the same
/// generators as their events (so with the same hostile text, and sometimes invalid).
pub fn activity_command() -> impl Strategy<Value = crate::crm::Command> {
    use crate::crm::Command;
    use crate::domain::campaign::CampaignCommand;
    use crate::domain::feedback::FeedbackCommand;
    use crate::domain::interaction::InteractionCommand;
    use crate::domain::task::{ScheduleTask, TaskCommand};
    let task = task_event().prop_filter_map("a task command", |event| {
        Some(Command::Task(match event {
            Event::TaskScheduled(e) => TaskCommand::Schedule(ScheduleTask {
                task_id: e.task_id,
                title: e.title,
                kind: e.kind,
                due: e.due,
                assignee: e.assignee,
                customer: e.customer,
                deal: e.deal,
            }),
            Event::TaskReassigned(e) => TaskCommand::Reassign {
                task_id: e.task_id,
                assignee: e.assignee,
            },
            Event::TaskRescheduled(e) => TaskCommand::Reschedule {
                task_id: e.task_id,
                due: e.due,
            },
            Event::TaskCompleted(e) => TaskCommand::Complete { task_id: e.task_id },
            Event::TaskCancelled(e) => TaskCommand::Cancel {
                task_id: e.task_id,
                reason: e.reason,
            },
            _ => return None,
        }))
    });
    let other = conversation_event().prop_filter_map("a conversation command", |event| {
        Some(match event {
            Event::InteractionLogged(e) => Command::Interaction(InteractionCommand::Log(e)),
            Event::FeedbackGiven(e) => Command::Feedback(FeedbackCommand::Give(e)),
            Event::CampaignCreated(e) => Command::Campaign(CampaignCommand::Create(e)),
            _ => return None,
        })
    });
    prop_oneof![task.boxed(), other.boxed()]
}

/// Commands for every aggregate: the customers of [`super::strategies::commands`], the
/// pipeline and deals of [`super::sales::deal_commands`], the orders of
/// [`super::shop::order_commands`], then tasks, conversations, feedback and campaigns; each
/// part up to `max_len` long.
pub fn every_command(max_len: usize) -> impl Strategy<Value = Vec<crate::crm::Command>> {
    (
        super::strategies::commands(max_len),
        super::sales::deal_commands(max_len),
        super::shop::order_commands(max_len),
        vec(activity_command(), 1..max_len.max(2)),
    )
        .prop_map(|(customers, deals, orders, activity)| {
            customers
                .into_iter()
                .chain(deals)
                .chain(orders)
                .chain(activity)
                .collect()
        })
}
