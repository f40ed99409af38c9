using System;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using KvmPS.Guests;

namespace KvmPS.Transport;

/// <summary>
/// The assemblies that wrap third-party libraries (KvmPS.Ssh: SSH.NET; KvmPS.Yaml: YamlDotNet) and
/// their dependencies, loaded so they cannot clash with other modules' copies: into one private
/// AssemblyLoadContext on PowerShell 7, through an AssemblyResolve handler limited to our own
/// folder on Windows PowerShell 5.1. Only KvmPS's own interfaces cross the boundary.
/// </summary>
internal static class IsolatedDependencies
{
    private static readonly object Gate = new();
    private static ISshConnector? _ssh;
    private static IYamlEngine? _yaml;
    private static object? _context;
    private static bool _resolverInstalled;

    public static ISshConnector SshConnector
    {
        get
        {
            lock (Gate)
            {
                return _ssh ??= Create<ISshConnector>("KvmPS.Ssh", "KvmPS.Ssh.SshConnector");
            }
        }
    }

    public static IYamlEngine Yaml
    {
        get
        {
            lock (Gate)
            {
                return _yaml ??= Create<IYamlEngine>("KvmPS.Yaml", "KvmPS.Yaml.YamlEngine");
            }
        }
    }

    /// <summary>The folder the isolated assemblies are loaded from (for diagnostics and tests).</summary>
    public static string DependencyDirectory =>
        Path.Combine(ModuleDirectory, "lib", IsCoreClr ? "core" : "desktop");

    private static string ModuleDirectory =>
        Path.GetDirectoryName(typeof(IsolatedDependencies).Assembly.Location) ?? AppContext.BaseDirectory;

    private static bool IsCoreClr => typeof(object).Assembly.GetName().Name == "System.Private.CoreLib";

    private static T Create<T>(string assemblyName, string typeName)
    {
        string directory = DependencyDirectory;
        string path = Path.Combine(directory, assemblyName + ".dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"{assemblyName}.dll is missing from {directory}; the module is incomplete. Reinstall KvmPS or rebuild it with ./build.ps1.", path);
        }

        Assembly assembly = IsCoreClr ? LoadIsolated(directory, path) : LoadWithResolver(directory, path);
        Type type = assembly.GetType(typeName, throwOnError: true)!;
        return (T)Activator.CreateInstance(type, nonPublic: true)!;
    }

    // Kept out of line so that Windows PowerShell never JIT-compiles a reference to
    // AssemblyLoadContext, which .NET Framework does not have.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Assembly LoadIsolated(string directory, string path)
    {
        var context = (IsolatedLoadContext)(_context ??= new IsolatedLoadContext(directory));
        return context.LoadFromAssemblyPath(path);
    }

    private static Assembly LoadWithResolver(string directory, string path)
    {
        if (!_resolverInstalled)
        {
            AppDomain.CurrentDomain.AssemblyResolve += (_, args) =>
            {
                string candidate = Path.Combine(directory, new AssemblyName(args.Name).Name + ".dll");
                return File.Exists(candidate) ? Assembly.LoadFrom(candidate) : null;
            };
            _resolverInstalled = true;
        }

        return Assembly.LoadFrom(path);
    }
}
