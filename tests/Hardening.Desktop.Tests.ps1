# Issue 8, Windows PowerShell 5.1: the build compiles KvmPS, KvmPS.Ssh and KvmPS.Yaml for net472 too
# (src/Directory.Build.props), so an API .NET Framework 4.7.2 lacks fails the build. What a compile
# cannot see is the shipped folder: every assembly Windows PowerShell may load from it must find each
# assembly it references, in lib/desktop (where IsolatedDependencies' resolver looks, whatever the
# version asked) or in .NET Framework 4.7.2 itself. This checks that closure on the built module.

BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    $script:ModuleDir = Split-Path (Get-KvmPSModulePath) -Parent

    # .NET Framework 4.7.2's own assemblies: the reference pack the build compiles against.
    [xml]$packages = Get-Content (Join-Path $RepoRoot 'Directory.Packages.props') -Raw
    $version = ($packages.Project.ItemGroup.PackageVersion | Where-Object Include -eq 'Microsoft.NETFramework.ReferenceAssemblies').Version
    $nuget = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $pack = Join-Path $nuget "microsoft.netframework.referenceassemblies.net472/$version/build/.NETFramework/v4.7.2"
    $script:Framework = @{}
    foreach ($file in Get-ChildItem (Join-Path $pack '*.dll'), (Join-Path $pack 'Facades/*.dll')) {
        # A few files of the pack are native (no metadata): they are nothing a reference can name.
        try { $Framework[$file.BaseName] = [Reflection.AssemblyName]::GetAssemblyName($file.FullName).Version } catch [BadImageFormatException] { }
    }

    # Referenced but deliberately not shipped, with the reason.
    $script:Provided = @{
        'System.Management.Automation' = 'PowerShell itself'
        'System.Runtime.Loader'        = 'used only on PowerShell 7 (IsolatedDependencies.LoadIsolated, never compiled by .NET Framework)'
    }

    function Get-AssemblyReference([string]$Path) {
        $stream = [IO.File]::OpenRead($Path)
        try {
            $pe = [Reflection.PortableExecutable.PEReader]::new($stream)
            $reader = [Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            foreach ($handle in $reader.AssemblyReferences) {
                $reference = $reader.GetAssemblyReference($handle)
                [pscustomobject]@{ Name = $reader.GetString($reference.Name); Version = $reference.Version }
            }
        }
        finally { $stream.Dispose() }
    }

    # Where Windows PowerShell finds one reference, or why it does not.
    function Resolve-DesktopReference($Reference, [hashtable]$Shipped) {
        if ($Provided.ContainsKey($Reference.Name)) { return "provided: $($Provided[$Reference.Name])" }
        if ($Shipped.ContainsKey($Reference.Name)) {
            if ($Shipped[$Reference.Name] -ge $Reference.Version) { return 'lib/desktop' }
            return "MISSING: lib/desktop has $($Shipped[$Reference.Name]), older than $($Reference.Version)"
        }
        if ($Framework.ContainsKey($Reference.Name)) {
            if ($Framework[$Reference.Name] -ge $Reference.Version) { return '.NET Framework 4.7.2' }
            return "MISSING: .NET Framework 4.7.2 has $($Framework[$Reference.Name]), older than $($Reference.Version)"
        }
        'MISSING: neither in lib/desktop nor in .NET Framework 4.7.2'
    }
}

Describe 'What Windows PowerShell 5.1 loads from the built module' {
    It 'has the .NET Framework 4.7.2 reference pack to compare with' {
        $Framework.Count | Should -BeGreaterThan 100
        $Framework['netstandard'] | Should -Not -BeNullOrEmpty
    }

    It 'ships the wrappers of the third-party libraries and every library they need, in lib/desktop' {
        $names = (Get-ChildItem (Join-Path $ModuleDir 'lib/desktop/*.dll')).BaseName
        foreach ($name in 'KvmPS.Ssh', 'KvmPS.Yaml', 'Renci.SshNet', 'YamlDotNet') { $names | Should -Contain $name }
    }

    It 'resolves every assembly reference of KvmPS.dll and lib/desktop, at the version asked or newer' {
        $files = @(Get-Item (Join-Path $ModuleDir 'KvmPS.dll')) + @(Get-ChildItem (Join-Path $ModuleDir 'lib/desktop/*.dll'))
        $shipped = @{}
        foreach ($file in $files) { $shipped[$file.BaseName] = [Reflection.AssemblyName]::GetAssemblyName($file.FullName).Version }
        $missing = foreach ($file in $files) {
            foreach ($reference in Get-AssemblyReference $file.FullName) {
                $where = Resolve-DesktopReference $reference $shipped
                if ($where -like 'MISSING*') { "$($file.Name) -> $($reference.Name) $($reference.Version): $where" }
            }
        }
        $missing | Should -BeNullOrEmpty
    }

    It 'finds a missing dependency (the check itself can fail)' {
        $shipped = @{ 'System.Memory' = [version]'4.0.1.0' }
        Resolve-DesktopReference ([pscustomobject]@{ Name = 'System.Memory'; Version = [version]'4.0.2.0' }) $shipped | Should -BeLike 'MISSING*older*'
        Resolve-DesktopReference ([pscustomobject]@{ Name = 'Microsoft.Bcl.Cryptography'; Version = [version]'10.0.0.0' }) @{} | Should -BeLike 'MISSING*'
        Resolve-DesktopReference ([pscustomobject]@{ Name = 'System.Xml'; Version = [version]'4.0.0.0' }) @{} | Should -Be '.NET Framework 4.7.2'
    }

    It 'keeps the isolated libraries out of the module''s root, where Windows PowerShell would load them without isolation' {
        $root = (Get-ChildItem (Join-Path $ModuleDir '*.dll')).Name
        $root | Should -Be 'KvmPS.dll'
    }
}
