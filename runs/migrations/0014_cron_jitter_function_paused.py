"""CronTrigger.jitter (a cron trigger's `jitter`) and Function.paused_at (an operator paused
the function). Stored configs whose cron triggers name a jitter are parsed again, so that an
app synced before this release (and skipped as unchanged since) gets its jitter."""

from django.db import migrations, models

import runs.spec


def store_jitter(apps, schema_editor):
    Function = apps.get_model("runs", "Function")
    CronTrigger = apps.get_model("runs", "CronTrigger")
    for function in Function.objects.filter(archived=False):
        triggers = function.config.get("triggers") or []
        if not any(isinstance(t, dict) and t.get("jitter") for t in triggers):
            continue
        try:
            spec = runs.spec.parse_function(function.config)
        except runs.spec.SpecError:
            continue  # unchanged: its next sync reports the error
        function.spec = spec
        function.save(update_fields=["spec"])
        for trigger in spec.triggers:
            if trigger.cron:
                CronTrigger.objects.filter(function=function, spec=trigger.cron).update(
                    jitter=trigger.jitter
                )


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0013_traces_and_metadata"),
    ]

    operations = [
        migrations.AddField(
            model_name="crontrigger",
            name="jitter",
            field=models.DurationField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="function",
            name="paused_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(store_jitter, migrations.RunPython.noop),
    ]
