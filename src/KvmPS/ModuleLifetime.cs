using System.Management.Automation;
using KvmPS.Sessions;

namespace KvmPS;

/// <summary>Closes every session when the module is removed (Remove-Module KvmPS).</summary>
public sealed class ModuleLifetime : IModuleAssemblyCleanup
{
    public void OnRemove(PSModuleInfo psModuleInfo) => SessionPool.CloseAll();
}
