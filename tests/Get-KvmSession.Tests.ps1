BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Get-KvmSession' -Skip:(-not $IsLinux) {
    BeforeAll {
        Disconnect-KvmHost -All
        $script:First = Connect-KvmHost -Local
        $script:Second = Connect-KvmHost -Local
    }

    AfterAll { Disconnect-KvmHost -All }

    It 'lists every open session' {
        $ids = (Get-KvmSession).Id
        $ids | Should -Contain $First.Id
        $ids | Should -Contain $Second.Id
    }

    It 'filters by id' {
        (Get-KvmSession -Id $Second.Id).Id | Should -Be $Second.Id
    }

    It 'filters by computer name with wildcards' {
        @(Get-KvmSession -ComputerName 'local*').Count | Should -Be 2
        @(Get-KvmSession -ComputerName 'nothing-like-this*').Count | Should -Be 0
    }

    It 'shows sessions that other cmdlets opened on their own' {
        Disconnect-KvmHost -All
        $null = Get-KvmHost
        (Get-KvmSession).ComputerName | Should -Be 'localhost'
    }

    It 'finds a session by its -Name and shows the name first in its table' {
        $named = Connect-KvmHost -Local -Name here
        (Get-KvmSession -ComputerName her*).Id | Should -Be $named.Id
        $table = ($named | Format-Table | Out-String -Width 120) -split "`n" | Where-Object { $_.Trim() }
        $table[0] | Should -Match '^\s*Id\s+Name\s+ComputerName\s+UserName'
        $table[2] | Should -Match "^\s*$($named.Id)\s+here\s+localhost\s"
    }
}
