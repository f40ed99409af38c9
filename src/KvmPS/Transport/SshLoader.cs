using System;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace KvmPS.Transport;

/// <summary>
/// Loads KvmPS.Ssh and its dependencies (SSH.NET, BouncyCastle, Microsoft.Extensions.*) so they
/// cannot clash with other modules' copies: into a private AssemblyLoadContext on PowerShell 7,
/// through an AssemblyResolve handler limited to our own folder on Windows PowerShell 5.1.
/// </summary>
internal static class SshLoader
{
    private static readonly object Gate = new();
    private static ISshConnector? _connector;

    public static ISshConnector Connector
    {
        get
        {
            lock (Gate)
            {
                return _connector ??= Load();
            }
        }
    }

    /// <summary>The folder the isolated assemblies are loaded from (for diagnostics and tests).</summary>
    public static string DependencyDirectory =>
        Path.Combine(ModuleDirectory, "lib", IsCoreClr ? "core" : "desktop");

    private static string ModuleDirectory =>
        Path.GetDirectoryName(typeof(SshLoader).Assembly.Location) ?? AppContext.BaseDirectory;

    private static bool IsCoreClr => typeof(object).Assembly.GetName().Name == "System.Private.CoreLib";

    private static ISshConnector Load()
    {
        string directory = DependencyDirectory;
        string path = Path.Combine(directory, "KvmPS.Ssh.dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"KvmPS.Ssh.dll is missing from {directory}; the module is incomplete. Reinstall KvmPS or rebuild it with ./build.ps1.", path);
        }

        Assembly assembly = IsCoreClr ? LoadIsolated(directory, path) : LoadWithResolver(directory, path);
        Type type = assembly.GetType("KvmPS.Ssh.SshConnector", throwOnError: true)!;
        return (ISshConnector)Activator.CreateInstance(type, nonPublic: true)!;
    }

    // Kept out of line so that Windows PowerShell never JIT-compiles a reference to
    // AssemblyLoadContext, which .NET Framework does not have.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Assembly LoadIsolated(string directory, string path)
        => new IsolatedLoadContext(directory).LoadFromAssemblyPath(path);

    private static Assembly LoadWithResolver(string directory, string path)
    {
        AppDomain.CurrentDomain.AssemblyResolve += (_, args) =>
        {
            string candidate = Path.Combine(directory, new AssemblyName(args.Name).Name + ".dll");
            return File.Exists(candidate) ? Assembly.LoadFrom(candidate) : null;
        };

        return Assembly.LoadFrom(path);
    }

    public static void Unload()
    {
        lock (Gate)
        {
            _connector = null;
        }
    }
}
