"""Function.spec: each function's config, parsed once at registration (runs/spec.py). Stored
configs are parsed here. A config the parser refuses would have failed at the first event that
matched it (a missing period, a limit that is not a number): such a function is archived and
its app is told why, so that its next sync (not skipped as unchanged) brings it back fixed."""

from django.db import migrations

import runs.spec


def parse_stored_configs(apps, schema_editor):
    Function = apps.get_model("runs", "Function")
    App = apps.get_model("runs", "App")
    CronTrigger = apps.get_model("runs", "CronTrigger")
    for function in Function.objects.all():
        if not function.config.get("id"):
            continue  # a row made by hand, not by a sync: no options
        try:
            function.spec = runs.spec.parse_function(function.config)
        except runs.spec.SpecError as exc:
            function.archived = True
            CronTrigger.objects.filter(function=function).delete()
            App.objects.filter(pk=function.app_id).update(
                config_hash="",
                sync_error=f"function {function.slug!r}: {exc} (archived when the server was "
                "upgraded: fix the function and sync the app again)",
            )
        function.save(update_fields=["spec", "archived"])


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0009_sync_request"),
    ]

    operations = [
        migrations.AddField(
            model_name="function",
            name="spec",
            field=runs.spec.SpecField(default=runs.spec.FunctionSpec, editable=False),
        ),
        migrations.RunPython(parse_stored_configs, migrations.RunPython.noop),
    ]
