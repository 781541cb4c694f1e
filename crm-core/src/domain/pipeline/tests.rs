use super::*;
use crate::testing::{given, sales};

fn id() -> PipelineId {
    sales::pipeline_id()
}

fn defined() -> Event {
    PipelineDefined {
        pipeline_id: id(),
        name: "Wholesale".into(),
        stages: sales::stages(),
        lost_reasons: sales::lost_reasons(),
    }
    .into()
}

fn stage(n: usize) -> StageId {
    sales::stage_ids()[n]
}

fn extra_stage() -> StageDefinition {
    StageDefinition::new(StageId::from_uuid(uuid::Uuid::from_u128(77)), "Demo", 40)
}

fn state(events: impl IntoIterator<Item = Event>) -> Pipeline {
    given::<Pipeline>(events).state().clone()
}

fn stage_names(p: &Pipeline) -> Vec<&str> {
    p.active_stages().map(|s| s.name.as_str()).collect()
}

#[test]
fn defining_a_pipeline_records_stages_and_lost_reasons() {
    given::<Pipeline>([])
        .when(sales::define_pipeline())
        .then_events([defined()]);
    let p = state([defined()]);
    assert_eq!(
        stage_names(&p),
        ["New", "Qualified", "Proposal", "Negotiation"]
    );
}

#[test]
fn defining_the_same_pipeline_again_is_a_retry_and_a_different_one_is_rejected() {
    given::<Pipeline>([defined()])
        .when(sales::define_pipeline())
        .then_nothing();
    let PipelineCommand::Define {
        pipeline_id,
        stages,
        lost_reasons,
        ..
    } = sales::define_pipeline()
    else {
        unreachable!()
    };
    given::<Pipeline>([defined()])
        .when(PipelineCommand::Define {
            pipeline_id,
            name: "Retail".into(),
            stages,
            lost_reasons,
        })
        .then_error_text(&format!("pipeline {} already exists", id()));
}

fn define(stages: Vec<StageDefinition>, lost_reasons: Vec<String>) -> PipelineCommand {
    PipelineCommand::Define {
        pipeline_id: id(),
        name: "Wholesale".into(),
        stages,
        lost_reasons,
    }
}

#[test]
fn a_pipeline_needs_a_name_and_a_stage() {
    given::<Pipeline>([])
        .when(PipelineCommand::Define {
            pipeline_id: id(),
            name: "  ".into(),
            stages: sales::stages(),
            lost_reasons: vec![],
        })
        .then_error_text("a pipeline needs a name, and the one given has no letters or digits");
    given::<Pipeline>([])
        .when(define(vec![], vec![]))
        .then_error_text(&format!("pipeline {} needs at least one stage", id()));
}

#[test]
fn stage_definitions_are_checked() {
    let mut too_likely = sales::stages();
    too_likely[1].probability = 101;
    given::<Pipeline>([])
        .when(define(too_likely, vec![]))
        .then_error_text("stage \"Qualified\" has a win probability of 101 %: it must be 0 to 100");
    let mut twice = sales::stages();
    twice[1].name = "new".into();
    given::<Pipeline>([])
        .when(define(twice, vec![]))
        .then_error_text("the pipeline already has an active stage named \"new\"");
    let mut same_id = sales::stages();
    same_id[1].stage_id = stage(0);
    given::<Pipeline>([])
        .when(define(same_id, vec![]))
        .then_error_text(&format!("stage {} is already in the pipeline", stage(0)));
    let mut blank_action = sales::stages();
    blank_action[0].actions = vec![NextAction::new(ActionKind::Custom(" ".into()), 1)];
    given::<Pipeline>([])
        .when(define(blank_action, vec![]))
        .then_error_text("stage \"New\" has a custom next action with no description");
    let mut unnamed = sales::stages();
    unnamed[2].name = "".into();
    given::<Pipeline>([])
        .when(define(unnamed, vec![]))
        .then_error_text("a stage needs a name, and the one given has no letters or digits");
}

#[test]
fn lost_reasons_must_be_distinct_and_not_blank() {
    given::<Pipeline>([])
        .when(define(
            sales::stages(),
            vec!["Price".into(), "price".into()],
        ))
        .then_error_text("lost reason \"price\" is blank or listed twice");
    given::<Pipeline>([])
        .when(define(sales::stages(), vec![" ".into()]))
        .then_error_text("lost reason \" \" is blank or listed twice");
}

#[test]
fn commands_on_an_undefined_pipeline_are_rejected() {
    given::<Pipeline>([])
        .when(PipelineCommand::RetireStage {
            pipeline_id: id(),
            stage_id: stage(0),
        })
        .then_error_text(&format!("pipeline {} does not exist", id()));
}

#[test]
fn a_stage_is_added_where_asked_or_at_the_end() {
    let add = |index| PipelineCommand::AddStage {
        pipeline_id: id(),
        stage: extra_stage(),
        index,
    };
    given::<Pipeline>([defined()])
        .when(add(Some(2)))
        .then_events([PipelineStageAdded {
            pipeline_id: id(),
            stage: extra_stage(),
            index: 2,
        }
        .into()]);
    let events = given::<Pipeline>([defined()]).state().decide(&add(Some(2)));
    let p = state([defined()].into_iter().chain(events.unwrap()));
    assert_eq!(
        stage_names(&p),
        ["New", "Qualified", "Demo", "Proposal", "Negotiation"]
    );
    let at_end = given::<Pipeline>([defined()]).state().decide(&add(None));
    let p = state([defined()].into_iter().chain(at_end.unwrap()));
    assert_eq!(stage_names(&p).last(), Some(&"Demo"));
    given::<Pipeline>([defined()])
        .when(add(Some(5)))
        .then_error_text("cannot insert a stage at position 5: the pipeline has 4 active stages");
}

#[test]
fn renaming_checks_the_name_and_the_stage() {
    let rename = |stage_id, name: &str| PipelineCommand::RenameStage {
        pipeline_id: id(),
        stage_id,
        name: name.into(),
    };
    given::<Pipeline>([defined()])
        .when(rename(stage(1), " Qualified lead "))
        .then_events([PipelineStageRenamed {
            pipeline_id: id(),
            stage_id: stage(1),
            name: "Qualified lead".into(),
        }
        .into()]);
    given::<Pipeline>([defined()])
        .when(rename(stage(1), "Qualified"))
        .then_nothing();
    given::<Pipeline>([defined()])
        .when(rename(stage(1), "PROPOSAL"))
        .then_error_text("the pipeline already has an active stage named \"PROPOSAL\"");
    let unknown = StageId::from_uuid(uuid::Uuid::from_u128(9));
    given::<Pipeline>([defined()])
        .when(rename(unknown, "X"))
        .then_error_text(&format!(
            "stage {unknown} is not a stage of pipeline {}",
            id()
        ));
}

fn retired(n: usize) -> Event {
    PipelineStageRetired {
        pipeline_id: id(),
        stage_id: stage(n),
    }
    .into()
}

#[test]
fn reordering_must_list_every_active_stage_once() {
    let order = vec![stage(0), stage(2), stage(1), stage(3)];
    given::<Pipeline>([defined()])
        .when(PipelineCommand::ReorderStages {
            pipeline_id: id(),
            order: order.clone(),
        })
        .then_events([PipelineStagesReordered {
            pipeline_id: id(),
            order: order.clone(),
        }
        .into()]);
    let p = state([
        defined(),
        PipelineStagesReordered {
            pipeline_id: id(),
            order,
        }
        .into(),
    ]);
    assert_eq!(
        stage_names(&p),
        ["New", "Proposal", "Qualified", "Negotiation"]
    );
    given::<Pipeline>([defined()])
        .when(PipelineCommand::ReorderStages {
            pipeline_id: id(),
            order: vec![stage(0), stage(0), stage(1), stage(3)],
        })
        .then_error_text(&format!(
            "the new order of pipeline {} must list each of its 4 active stages exactly once",
            id()
        ));
    // A retired stage is not part of the order any more.
    given::<Pipeline>([defined(), retired(2)])
        .when(PipelineCommand::ReorderStages {
            pipeline_id: id(),
            order: vec![stage(1), stage(0), stage(3)],
        })
        .then_events([PipelineStagesReordered {
            pipeline_id: id(),
            order: vec![stage(1), stage(0), stage(3)],
        }
        .into()]);
}

#[test]
fn a_retired_stage_keeps_its_history_but_cannot_be_entered() {
    let retire = |n| PipelineCommand::RetireStage {
        pipeline_id: id(),
        stage_id: stage(n),
    };
    given::<Pipeline>([defined()])
        .when(retire(2))
        .then_events([retired(2)]);
    given::<Pipeline>([defined(), retired(2)])
        .when(retire(2))
        .then_nothing();
    let p = state([defined(), retired(2)]);
    assert_eq!(stage_names(&p), ["New", "Qualified", "Negotiation"]);
    assert_eq!(
        p.stage(stage(2)).map(|s| s.definition.name.as_str()),
        Some("Proposal")
    );
    assert_eq!(
        p.enterable_stage(id(), stage(2)).unwrap_err().to_string(),
        format!(
            "stage \"Proposal\" ({}) is retired: no deal can enter it",
            stage(2)
        )
    );
    given::<Pipeline>([defined(), retired(0), retired(1), retired(2)])
        .when(retire(3))
        .then_error_text(
            "stage \"Negotiation\" is the pipeline's last active stage and cannot be retired",
        );
}

#[test]
fn lost_reasons_are_matched_ignoring_case() {
    let p = state([defined()]);
    assert!(p.require_lost_reason("no BUDGET").is_ok());
    assert_eq!(
        p.require_lost_reason("Weather").unwrap_err().to_string(),
        "\"Weather\" is not a lost reason of this pipeline; choose one of: Price, Competitor, No budget, No response"
    );
}
