# The README's "run the main job" command runs examples/Demo.ps1: it must keep working end to end.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot '../tests/common.ps1')
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . (Join-Path $PSScriptRoot '../tests/common.ps1')
}

Describe 'The demo on the local lab' -Skip:([bool]$LabSkip) {
    BeforeAll {
        # Its own process, as the README runs it; the transcript is kept with the test results.
        $pwsh = Get-PwshPath
        $script:Output = & $pwsh -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'Demo.ps1') -ModulePath (Get-KvmPSModulePath) 2>&1 |
            ForEach-Object { "$_" -replace "`e\[[0-9;]*m", '' }
        $script:ExitCode = $LASTEXITCODE
        $dir = Join-Path $RepoRoot 'output/test-results'
        $null = New-Item -ItemType Directory $dir -Force
        $Output | Set-Content (Join-Path $dir 'demo-transcript.txt')
        $script:Text = $Output -join "`n"
        # The lab's network: 198.18.<KVMLAB_ID>.0/24 (198.18.0.0/24 by default).
        $script:Net = '198\.18\.' + $(if ($env:KVMLAB_ID) { $env:KVMLAB_ID } else { '0' })
    }

    It 'runs to the end without an error' {
        $ExitCode | Should -Be 0 -Because ($Output | Select-Object -Last 15 | Out-String)
        $Text | Should -Match 'Demo finished in \d+ s'
    }

    It 'does every step of the guide, in order' {
        $steps = @($Output | Where-Object { $_ -match '^== \d+\. ' })
        $steps.Count | Should -Be 11
        $Text | Should -Match '(?s)Connecting over SSH.*Can they run KVM.*Installing.*Bridging eth0.*Creating a guest.*Pre-flight.*Moving it live.*Where is it now.*Cleaning up.*Tearing the lab down'
    }

    It 'bridged eth0 into br0 on both hosts and gave the guest its address there' {
        @($Output | Where-Object { $_ -match '^br0\s+root@\S+\s+\S.*\seth0\s' }).Count | Should -Be 2
        $Text | Should -Match "It answers at $Net\.77"
    }

    It 'moved the guest live while it kept answering pings, and found it on kvm2 afterwards' {
        $Text | Should -Match "(?m)^web1\s+root@$Net\.11\s+root@$Net\.12\s+Live\+Storage"
        $Text -match 'Pings: (\d+) answered \((\d+) of them while the move ran\), (\d+) missed' | Should -BeTrue
        [int]$Matches[1] | Should -BeGreaterThan 10
        [int]$Matches[2] | Should -BeGreaterThan 0 -Because 'the guest answers while it moves'
        [int]$Matches[3] | Should -BeLessThan ([int]$Matches[1]) -Because 'a live move loses a ping or two at most, not the guest'
        $Text | Should -Match "(?s)Where is it now.*\nweb1\s+Running\s+\d+\s+\S+\s+root@$Net\.12\s+$Net\.77"
    }

    It 'left the lab down' {
        (Get-KvmLabSkipReason) | Should -BeNullOrEmpty
        (& bash (Join-Path $RepoRoot 'tests/lab/lab.sh') status) -join "`n" | Should -Match 'lab: down'
    }
}
