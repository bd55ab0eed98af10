namespace Attune.Validation;

/// <summary>One problem with one field of one input record.</summary>
/// <param name="Field">JSON path of the field relative to the record, e.g. <c>timestamp</c> or <c>properties.size</c>.</param>
public sealed record FieldError(string Field, string Message);

/// <summary>A record of a batch that was rejected, with every problem found in it.</summary>
public sealed record RejectedRecord(int Index, IReadOnlyList<FieldError> Errors);
