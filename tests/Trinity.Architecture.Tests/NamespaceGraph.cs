using System.Reflection;
using System.Reflection.Emit;

namespace Trinity.Architecture.Tests;

/// <summary>
/// Which namespace of an assembly uses which, read from the compiled code itself — base types, interfaces,
/// generic constraints, attributes, signatures, locals, and every type, method and field a method body names with
/// the types of their signatures — so a reference without a <c>using</c> (a parent namespace, a fully qualified
/// name) is seen too. Only the assembly's own <c>Trinity.*</c> namespaces count. What compiled code cannot show:
/// a constant or enum literal of another namespace, which the compiler copies in.
/// </summary>
public sealed class NamespaceGraph
{
    const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    readonly Assembly _assembly;

    /// <summary>namespace → the namespaces it uses, each with one example "Type → Type" that makes the edge.</summary>
    public Dictionary<string, Dictionary<string, string>> Edges { get; } = new(StringComparer.Ordinal);

    /// <summary>Tokens of method bodies that could not be resolved: any would be an edge the graph may have missed.</summary>
    public List<string> Unresolved { get; } = [];

    NamespaceGraph(Assembly assembly) => _assembly = assembly;

    public static NamespaceGraph Of(Assembly assembly)
    {
        var graph = new NamespaceGraph(assembly);
        foreach (var type in assembly.GetTypes())
            graph.AddUsesOf(type);
        return graph;
    }

    /// <summary>Every group of namespaces that depend on each other, directly or through others (Tarjan's strongly connected components).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var cycles = new List<IReadOnlyList<string>>();
        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            foreach (var next in Edges.GetValueOrDefault(node)?.Keys ?? Enumerable.Empty<string>())
            {
                if (!index.TryGetValue(next, out var seen))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (stack.Contains(next))
                    low[node] = Math.Min(low[node], seen);
            }
            if (low[node] != index[node])
                return;
            var component = new List<string>();
            string member;
            do
            {
                member = stack.Pop();
                component.Add(member);
            } while (member != node);
            if (component.Count > 1)
                cycles.Add(component.Order(StringComparer.Ordinal).ToList());
        }
        foreach (var node in Edges.Keys.ToList())
            if (!index.ContainsKey(node))
                Visit(node);
        return cycles;
    }

    void AddUsesOf(Type type)
    {
        if (!Counts(type))
            return;
        Use(type, type.BaseType);
        foreach (var contract in type.GetInterfaces())
            Use(type, contract);
        UseConstraints(type, type.IsGenericTypeDefinition ? type.GetGenericArguments() : []);
        UseAttributes(type, type.GetCustomAttributesData());
        foreach (var field in type.GetFields(Declared))
        {
            Use(type, field.FieldType);
            UseAttributes(type, field.GetCustomAttributesData());
        }
        foreach (var property in type.GetProperties(Declared))
        {
            Use(type, property.PropertyType);
            UseAttributes(type, property.GetCustomAttributesData());
        }
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            UseSignature(type, method);
            UseAttributes(type, method.GetCustomAttributesData());
            foreach (var parameter in method.GetParameters())
                UseAttributes(type, parameter.GetCustomAttributesData());
            if (method.IsGenericMethodDefinition)
                UseConstraints(type, method.GetGenericArguments());
            if (method.GetMethodBody() is not { } body)
                continue;
            foreach (var local in body.LocalVariables)
                Use(type, local.LocalType);
            foreach (var token in Tokens(body.GetILAsByteArray() ?? []))
                UseToken(type, method, token);
        }
    }

    void UseToken(Type user, MethodBase method, int token)
    {
        var typeArguments = user.IsGenericType ? user.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        try
        {
            switch (method.Module.ResolveMember(token, typeArguments, methodArguments))
            {
                case Type used:
                    Use(user, used);
                    break;
                case MethodBase called:
                    Use(user, called.DeclaringType);
                    UseSignature(user, called);
                    if (called.IsGenericMethod)
                        foreach (var argument in called.GetGenericArguments())
                            Use(user, argument);
                    break;
                case FieldInfo field:
                    Use(user, field.DeclaringType);
                    Use(user, field.FieldType);
                    break;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or TypeLoadException or BadImageFormatException)
        {
            Unresolved.Add($"{user.FullName}.{method.Name}: token 0x{token:x8} ({ex.GetType().Name}: {ex.Message})");
        }
    }

    void UseSignature(Type user, MethodBase method)
    {
        if (method is MethodInfo info)
            Use(user, info.ReturnType);
        foreach (var parameter in method.GetParameters())
            Use(user, parameter.ParameterType);
    }

    void UseConstraints(Type user, Type[] genericParameters)
    {
        foreach (var parameter in genericParameters)
            foreach (var constraint in parameter.GetGenericParameterConstraints())
                Use(user, constraint);
    }

    void UseAttributes(Type user, IEnumerable<CustomAttributeData> attributes)
    {
        foreach (var attribute in attributes)
        {
            Use(user, attribute.AttributeType);
            foreach (var argument in attribute.ConstructorArguments.Concat(attribute.NamedArguments.Select(n => n.TypedValue)))
                if (argument.Value is Type named)
                    Use(user, named);
        }
    }

    void Use(Type user, Type? used)
    {
        if (used is null)
            return;
        if (used.HasElementType)
        {
            Use(user, used.GetElementType());
            return;
        }
        if (used.IsGenericType && !used.IsGenericTypeDefinition)
        {
            Use(user, used.GetGenericTypeDefinition());
            foreach (var argument in used.GetGenericArguments())
                Use(user, argument);
            return;
        }
        if (used.IsGenericParameter || !Counts(used) || used.Namespace == user.Namespace)
            return;
        if (!Edges.TryGetValue(user.Namespace!, out var uses))
            Edges[user.Namespace!] = uses = new Dictionary<string, string>(StringComparer.Ordinal);
        uses.TryAdd(used.Namespace!, $"{Outermost(user).Name} → {Outermost(used).Name}");
    }

    bool Counts(Type type) => type.Assembly == _assembly && type.Namespace?.StartsWith("Trinity", StringComparison.Ordinal) == true;

    static Type Outermost(Type type) => type.DeclaringType is { } outer ? Outermost(outer) : type;

    /// <summary>The metadata tokens among a method body's operands.</summary>
    static IEnumerable<int> Tokens(byte[] il)
    {
        for (var at = 0; at < il.Length;)
        {
            var value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            var opCode = OpCodesByValue[value];
            switch (opCode.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                    yield return BitConverter.ToInt32(il, at);
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + 4 * BitConverter.ToInt32(il, at);
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                default:
                    at += 4;
                    break;
            }
        }
    }
}
