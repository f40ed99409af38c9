using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace KvmPS.Transport;

/// <summary>
/// PowerShell 7: SSH.NET and its dependencies live here, apart from whatever versions other
/// modules loaded into the default context. KvmPS itself is shared so that the transport
/// contracts are the same types on both sides.
/// </summary>
internal sealed class IsolatedLoadContext : AssemblyLoadContext
{
    private readonly string _directory;
    private readonly Assembly _kvmps = typeof(IsolatedLoadContext).Assembly;

    public IsolatedLoadContext(string directory)
    {
        _directory = directory;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name == _kvmps.GetName().Name)
        {
            return _kvmps;
        }

        string candidate = Path.Combine(_directory, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }
}
