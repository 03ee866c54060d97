using System.Diagnostics;
using OpenTelemetry;
using Trinity.Hosting.Logging;

namespace Trinity.Hosting.Tracing;

/// <summary>
/// The last step before the exporter, as <see cref="Logging.RedactingEnricher"/> is for log lines: a span's status
/// text and string attributes leave scrubbed of anything token-shaped or registered as a secret. An event (an
/// exception a library recorded, with its message and stack) cannot be rewritten: a span with one that holds a secret
/// is not exported at all — a gap in a trace, never a token in a collector.
/// </summary>
public sealed class SecretFreeSpans : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        if (data.StatusDescription is { } status && SecretRedaction.Scrub(status) is var scrubbed && scrubbed != status)
            data.SetStatus(data.Status, scrubbed);
        foreach (var (key, value) in data.TagObjects.ToList())
            if (value is string text && SecretRedaction.Scrub(text) is var clean && clean != text)
                data.SetTag(key, clean);
        if (data.Events.Any(HoldsASecret) || data.Links.Any(link => link.Tags?.Any(Secret) == true))
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
    }

    static bool HoldsASecret(ActivityEvent activityEvent) => SecretRedaction.Scrub(activityEvent.Name) != activityEvent.Name || activityEvent.Tags.Any(Secret);

    static bool Secret(KeyValuePair<string, object?> tag) => tag.Value?.ToString() is { } text && SecretRedaction.Scrub(text) != text;
}
