// Namespace cycles on purpose, for The_code_base.The_checker_sees_a_cycle_between_two_namespaces: if the checker
// stopped seeing them, every "no cycle" spec would pass without proving anything. Each pair depends one way by a
// signature and the other way only by what the checker must read beyond signatures: a method body, an attribute,
// a generic constraint.
namespace Trinity.Architecture.Tests.Seeded.Outer
{
    public sealed class Parent
    {
        public Inner.Child? Child { get; init; }
    }
}

namespace Trinity.Architecture.Tests.Seeded.Outer.Inner
{
    public sealed class Child
    {
        public override string ToString() => new Parent().GetHashCode().ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

namespace Trinity.Architecture.Tests.Seeded.Marked
{
    [System.AttributeUsage(System.AttributeTargets.Class)]
    public sealed class MarkAttribute : System.Attribute
    {
        public Marking.Marked? Target { get; init; }
    }
}

namespace Trinity.Architecture.Tests.Seeded.Marking
{
    [Seeded.Marked.Mark]
    public sealed class Marked;
}

namespace Trinity.Architecture.Tests.Seeded.Bound
{
    public class Holder
    {
        public Bounding.Box<Holder>? Box { get; init; }
    }
}

namespace Trinity.Architecture.Tests.Seeded.Bounding
{
    public sealed class Box<T>
        where T : Bound.Holder;
}
