BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Disconnect-KvmHost' -Skip:(-not $IsLinux) {
    BeforeEach { Disconnect-KvmHost -All }
    AfterAll { Disconnect-KvmHost -All }

    It 'closes a session from the pipeline and ends its shells' {
        $s = Connect-KvmHost -Local
        $shellPid = [int](Invoke-TransportCommand -Session $s -Argv 'sh', '-c', 'echo $PPID').StdoutText.Trim()
        Test-Path "/proc/$shellPid" | Should -BeTrue
        $closed = $s | Disconnect-KvmHost -PassThru
        $closed.State | Should -Be 'Closed'
        Get-KvmSession -Id $s.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        # The shell exits when its stdin closes; give it a moment without asserting on speed.
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ((Test-Path "/proc/$shellPid") -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        Test-Path "/proc/$shellPid" | Should -BeFalse
    }

    It 'does nothing with -WhatIf' {
        $s = Connect-KvmHost -Local
        Disconnect-KvmHost -Session $s -WhatIf
        $s.State | Should -Be 'Opened'
    }

    It 'closes by computer name and errors when none matches' {
        $null = Connect-KvmHost -Local
        Disconnect-KvmHost -ComputerName 'localhost'
        @(Get-KvmSession).Count | Should -Be 0
        Disconnect-KvmHost -ComputerName 'no-such-host' -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SessionNotFound,*'
    }

    It 'refuses a closed session in later commands with SessionClosed' {
        $s = Connect-KvmHost -Local
        $s | Disconnect-KvmHost
        Get-KvmHost -Session $s -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'SessionClosed,*'
    }

    It 'closes every session when the module is removed' {
        $s = Connect-KvmHost -Local
        Remove-Module KvmPS
        $s.State | Should -Be 'Closed'
        Import-KvmPSUnderTest
    }
}
