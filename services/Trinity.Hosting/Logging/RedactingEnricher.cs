using Serilog.Core;
using Serilog.Events;

namespace Trinity.Hosting.Logging;

/// <summary>
/// Last line of defence: rewrites every string property of every event through <see cref="SecretRedaction"/>.
/// Code never logs a token on purpose; this catches the accident (an agent's error text, say).
/// </summary>
public sealed class RedactingEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        foreach (var (name, value) in logEvent.Properties.ToList())
        {
            var scrubbed = Scrub(value);
            if (!ReferenceEquals(scrubbed, value))
                logEvent.AddOrUpdateProperty(new LogEventProperty(name, scrubbed));
        }
    }

    static LogEventPropertyValue Scrub(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: string text } when SecretRedaction.Scrub(text) is var clean && clean != text => new ScalarValue(clean),
        SequenceValue sequence => new SequenceValue(sequence.Elements.Select(Scrub)),
        StructureValue structure => new StructureValue(structure.Properties.Select(p => new LogEventProperty(p.Name, Scrub(p.Value))), structure.TypeTag),
        _ => value,
    };
}
