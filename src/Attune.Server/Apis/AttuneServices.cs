using Attune.Server.Hosting;
using Attune.Storage;
using Attune.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Attune.Server.Apis;

/// <summary>What the handlers need, gathered so their signatures stay short.</summary>
public sealed class AttuneServices(IAttuneStore store, RecordReader reader, IOptions<AttuneOptions> options, ILoggerFactory loggers,
    Attune.Serving.ServingEngine serving, TimeProvider time)
{
    /// <summary>The clock (one place reads the system's: the <see cref="TimeProvider"/> registered by the host).</summary>
    public TimeProvider Time { get; } = time;
    public IAttuneStore Store { get; } = store;
    /// <summary>Real-time serving: told about every accepted write so the next answer reflects it.</summary>
    public Attune.Serving.ServingEngine Serving { get; } = serving;
    public RecordReader Reader { get; } = reader;
    public AttuneOptions Options { get; } = options.Value;
    public ILogger Logger { get; } = loggers.CreateLogger("Attune.Api");
}
