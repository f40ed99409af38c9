# The module as shipped: manifest, exports, help for every cmdlet, views, and dependency isolation.
BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
    Import-KvmPSUnderTest
    $script:Cmdlets = @(Get-Command -Module KvmPS -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
    $script:ModulePath = Get-KvmPSModulePath
    $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'KvmPS manifest' {
    It 'passes Test-ModuleManifest' {
        $m = Test-ModuleManifest -Path $ModulePath
        $m.Version | Should -Be ([version](Import-PowerShellDataFile $ModulePath).ModuleVersion)
        $m.CompatiblePSEditions | Should -Contain 'Desktop'
        $m.CompatiblePSEditions | Should -Contain 'Core'
    }

    It 'is publishable: description, tags, project and license links, release notes, a CHANGELOG entry for its version' {
        $m = Test-ModuleManifest -Path $ModulePath
        $m.Description.Length | Should -BeGreaterThan 40
        $m.Author | Should -Not -BeNullOrEmpty
        foreach ($tag in 'KVM', 'libvirt', 'RHEL', 'SSH', 'PSEdition_Core', 'PSEdition_Desktop', 'Linux') { $m.Tags | Should -Contain $tag }
        $m.Tags | Where-Object { $_ -match '\s' } | Should -BeNullOrEmpty -Because 'the gallery refuses tags with spaces'
        $m.ProjectUri.Scheme | Should -Be 'https'
        $m.LicenseUri.Scheme | Should -Be 'https'
        $m.ReleaseNotes | Should -Match "^$([regex]::Escape($m.Version.ToString()))"
        # Shipped in the module's folder, as the gallery package carries them.
        Join-Path (Split-Path $ModulePath) 'LICENSE' | Should -Exist
        Get-Content (Join-Path (Split-Path $ModulePath) 'CHANGELOG.md') -Raw | Should -Match "(?m)^## \[$([regex]::Escape($m.Version.ToString()))\] - \d{4}-\d{2}-\d{2}$"
    }

    It 'exports exactly the cmdlets the assembly defines' {
        $asm = [KvmPS.KvmSession].Assembly
        $defined = $asm.GetTypes() |
            Where-Object { $_.IsPublic -and -not $_.IsAbstract -and $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
            ForEach-Object { $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]; "$($a.VerbName)-$($a.NounName)" }
        (Get-Command -Module KvmPS).Name | Sort-Object | Should -Be ($defined | Sort-Object)
    }
}

Describe 'Help for <Name>' -ForEach $Cmdlets {
    BeforeAll {
        $script:Help = Get-Help $Name -Full
        $script:Command = Get-Command $Name
    }

    It 'has a synopsis and a description' {
        $Help.Synopsis | Should -Not -BeNullOrEmpty
        $Help.Synopsis | Should -Not -Match "^\s*$([regex]::Escape($Name))\s" -Because 'a synopsis that is the syntax means the MAML help was not found'
        ($Help.Description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'describes every parameter' {
        $documented = @{}
        foreach ($p in $Help.parameters.parameter) { $documented[$p.name] = ($p.description.Text -join '') }
        foreach ($parameter in $Command.Parameters.Keys | Where-Object { $_ -notin $Common }) {
            $documented.Keys | Should -Contain $parameter
            $documented[$parameter] | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
    }

    It 'has at least three examples, each with code and a title' {
        @($Help.examples.example).Count | Should -BeGreaterOrEqual 3
        foreach ($example in $Help.examples.example) {
            $example.code | Should -Not -BeNullOrEmpty
            $example.title | Should -Match 'Example \d+: \S'
        }
    }

    It 'names its output type' {
        $Command.OutputType.Count | Should -BeGreaterThan 0
    }
}

# `$hosts | Install-KvmHost` with no hosts in $hosts must not fall back to this machine, as a call
# with no hosts named at all does. Every cmdlet that takes sessions or objects from the pipeline.
Describe 'An empty pipeline targets no host' -Skip:(-not $IsLinux) {
    It '@() | <Name> does nothing, on no host' -ForEach @(
        @{ Name = 'Get-KvmHost'; Params = @{} }
        @{ Name = 'Test-KvmCapability'; Params = @{} }
        @{ Name = 'Install-KvmHost'; Params = @{ WhatIf = $true } }
        @{ Name = 'Get-KvmBridge'; Params = @{} }
        @{ Name = 'Get-KvmNetwork'; Params = @{} }
        @{ Name = 'New-KvmBridge'; Params = @{ InterfaceName = 'eth0'; WhatIf = $true } }
        @{ Name = 'New-KvmNetwork'; Params = @{ Name = 'kvmps-empty'; WhatIf = $true } }
        @{ Name = 'New-KvmGuest'; Params = @{ Name = 'kvmps-empty'; WhatIf = $true } }
        @{ Name = 'Remove-KvmNetwork'; Params = @{ WhatIf = $true } }
        @{ Name = 'Remove-KvmBridge'; Params = @{ WhatIf = $true } }
        @{ Name = 'Get-KvmGuest'; Params = @{} }
        @{ Name = 'Stop-KvmGuest'; Params = @{ WhatIf = $true } }
    ) {
        Disconnect-KvmHost -All
        $output = $null
        $text = Get-WhatIfText { $script:output = @() | & $Name @Params -Verbose 4>&1 -ErrorVariable script:failed }
        $output | Should -BeNullOrEmpty
        $failed | Should -BeNullOrEmpty
        $text | Should -Not -Match 'What if|localhost'
        Get-KvmSession | Should -BeNullOrEmpty -Because 'no session to any host was opened'
    }
}

Describe 'About topics' {
    It 'shows <_>' -ForEach 'about_KvmPS', 'about_KvmPS_Sessions', 'about_KvmPS_Testing' {
        (Get-Help $_ | Out-String) | Should -Match 'SHORT DESCRIPTION'
    }
}

Describe 'Dependency isolation' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:OldLogging = Join-Path (& dotnet nuget locals global-packages --list).Replace('global-packages:', '').Trim() `
            'microsoft.extensions.logging.abstractions/2.0.0/lib/netstandard2.0/Microsoft.Extensions.Logging.Abstractions.dll'
        if (-not (Test-Path $OldLogging)) {
            & dotnet restore (Join-Path $RepoRoot 'tools/pester/Pester.Restore.csproj') -nologo -v q | Out-Null
        }
        $script:Pwsh = Get-PwshPath
        function script:Invoke-Fresh([string]$Script) {
            $output = & $Pwsh -NoProfile -NonInteractive -Command $Script 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
        }
    }

    It 'connects although another module loaded an older Microsoft.Extensions.Logging.Abstractions first' {
        $r = Invoke-Fresh @"
`$ErrorActionPreference = 'Stop'
`$old = [Reflection.Assembly]::LoadFrom('$OldLogging')
Import-Module '$ModulePath'
`$s = Connect-KvmHost 'root@$($Lab.hosts[0].address)' -KeyFilePath '$($Lab.keyFile)' -KnownHostsPath '$($Lab.knownHosts)'
'HOST=' + (Get-KvmHost -Session `$s).HostName
'OLD=' + `$old.GetName().Version
`$ssh = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Renci.SshNet' }
'SSHALC=' + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$ssh).GetType().Name
'DEFAULTHASSSH=' + ([System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies.GetName().Name -contains 'Renci.SshNet')
"@
        $r.Output | Should -Match 'HOST=kvm1'
        $r.Output | Should -Match 'OLD=2\.0\.0\.0'
        $r.Output | Should -Match 'SSHALC=IsolatedLoadContext'
        $r.Output | Should -Match 'DEFAULTHASSSH=False'
        $r.ExitCode | Should -Be 0
    }

    It 'would break a module that loads SSH.NET naively (the test can fail)' {
        $lib = Join-Path (Split-Path $ModulePath) 'lib/core'
        $r = Invoke-Fresh @"
`$null = [Reflection.Assembly]::LoadFrom('$OldLogging')
Add-Type -Path '$lib/Renci.SshNet.dll'
try { `$c = [Renci.SshNet.SshClient]::new('127.0.0.1', 'x', 'y'); 'NAIVE=worked' } catch { 'NAIVE=failed ' + `$_.Exception.GetType().Name }
"@
        $r.Output | Should -Match 'NAIVE=failed'
    }
}
