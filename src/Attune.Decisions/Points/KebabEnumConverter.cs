using System.Text.Json;
using System.Text.Json.Serialization;

namespace Attune.Decisions.Points;

/// <summary>Writes an enum as kebab-case text (<c>epsilon-greedy</c>), the way the API's readers accept it.</summary>
public sealed class KebabEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.KebabCaseLower) where T : struct, Enum;
