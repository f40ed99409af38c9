# Pester 5 tests of the lab wrapper, and the pattern for suites that use the lab:
#   Invoke-Pester tests/lab/KvmLab.Tests.ps1
# (not picked up by build.ps1, which runs tests/*.Tests.ps1 only)

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'KvmLab.psm1') -Force
    $labSkip = Get-KvmLabSkipReason   # evaluated once, at discovery, for -Skip
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'KvmLab.psm1') -Force
    if (-not (Get-KvmLabSkipReason)) { $script:labHosts = Start-KvmLab -HostCount 2 }
}

Describe 'KvmLab without the lab' {
    It 'gives a reason or $null' {
        $r = Get-KvmLabSkipReason
        if ($null -ne $r) { $r | Should -BeOfType [string] }
    }
    It 'honours KVMLAB_DISABLE' {
        $env:KVMLAB_DISABLE = '1'
        try {
            Get-KvmLabSkipReason | Should -Be 'disabled by KVMLAB_DISABLE'
            { Start-KvmLab } | Should -Throw 'disabled by KVMLAB_DISABLE'
        }
        finally { $env:KVMLAB_DISABLE = $null }
    }
}

Describe 'KvmLab' -Skip:([bool]$labSkip) {
    It 'returns the hosts' {
        $labHosts.name | Should -Be @('kvm1', 'kvm2')
        $labHosts[1].address | Should -Match '^198\.18\.\d\.12$'
        $labHosts[0].port | Should -Be 22
        $labHosts[0].keyFile | Should -Exist
        $labHosts[0].knownHosts | Should -Exist
        $labHosts[0].hostKeys.'ssh-ed25519' | Should -Match '^SHA256:'
    }
    It 'runs commands inside a host' {
        Invoke-KvmLabCommand -HostName kvm2 -Command hostname | Should -Be 'kvm2'
        Invoke-KvmLabCommand kvm1 virsh, -c, qemu:///system, hostname | Should -Be 'kvm1'
        Invoke-KvmLabCommand kvm1 sh, -c, 'cat; echo "[$1]"', sh, 'a b' -InputText "in`n" |
            Should -Be @('in', '[a b]')
    }
    It 'reports failures' {
        { Invoke-KvmLabCommand kvm1 sh, -c, 'echo bad >&2; exit 3' } | Should -Throw '*exited with 3: bad*'
        $r = Invoke-KvmLabCommand kvm1 sh, -c, 'exit 4' -PassThru
        $r.ExitCode | Should -Be 4
        Invoke-KvmLabCommand kvm1 false -IgnoreExitCode | Should -BeNullOrEmpty
    }
    It 'is reachable over ssh with the lab key and known_hosts' {
        $h = $labHosts[0]
        $out = & ssh -i $h.keyFile -o "UserKnownHostsFile=$($h.knownHosts)" -o StrictHostKeyChecking=yes `
            -o BatchMode=yes "$($h.user)@$($h.address)" hostname
        $LASTEXITCODE | Should -Be 0
        $out | Should -Be 'kvm1'
    }
    It 'is idempotent' {
        # not `$hosts.address`: on an array that is the Array.Address() method
        (Start-KvmLab -HostCount 2 | ForEach-Object address) | Should -Be ($labHosts | ForEach-Object address)
    }
}
