using System.Runtime.CompilerServices;

// The statistics tests check the hand-written distributions (StudentTDistribution, IncompleteBeta) and the Python-style number
// formatting directly against reference values.
[assembly: InternalsVisibleTo("Attune.Tests")]
