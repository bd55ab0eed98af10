using Attune.Validation;

namespace Attune.Api;

/// <summary>The answer to a batch write: how many records were stored, and each rejected one with its problems.</summary>
public sealed record BatchResult(int Accepted, IReadOnlyList<RejectedRecord> Rejected);
