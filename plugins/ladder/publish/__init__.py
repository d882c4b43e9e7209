"""Publishing the treatment lists (DESIGN §7): diff against what each destination already
holds (`ops.publish_state`), send only adds, changes and removals in idempotent batches,
and record every delivery (`ops.publish_runs`, `ops.publish_rejects`)."""
