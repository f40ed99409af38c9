BeforeDiscovery {
    . "$PSScriptRoot/../tests/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/../tests/common.ps1"
    Import-KvmPSUnderTest
    $script:Runbook = Join-Path $PSScriptRoot 'Invoke-KvmHostEvacuation.ps1'
}

# The KvmPS cmdlets are mocked; the runbook's decisions are what is tested.
Describe 'Invoke-KvmHostEvacuation.ps1 decisions (KvmPS mocked)' {
    BeforeAll {
        function script:Guest([string]$Name, [long]$Memory, [string]$State = 'Running') {
            [KvmPS.KvmGuest]@{ ComputerName = 'src'; Name = $Name; MemoryBytes = $Memory; State = $State }
        }
        # Test-KvmMigration's checks for each guest: one Fail where -Refuse names "guest>destination".
        # (Test data goes into the mock's body: called from the runbook, $script: there is the runbook's.)
        function script:Checks($Guest, $Destination, [string[]]$Refuse) {
            foreach ($g in $Guest) {
                $fail = "$($g.Name)>$Destination" -in $Refuse
                [KvmPS.KvmMigrationCheck]@{ Guest = $g.Name; ComputerName = 'src'; Destination = $Destination; Check = 'GuestState'; Status = 'Pass'; Detail = 'running' }
                [KvmPS.KvmMigrationCheck]@{ Guest = $g.Name; ComputerName = 'src'; Destination = $Destination; Check = 'Memory'; Status = $(if ($fail) { 'Fail' } else { 'Pass' }); Detail = "memory on $Destination" }
            }
        }
    }

    BeforeEach {
        Mock Get-KvmGuest { $(Guest big 4GB; Guest mid 2GB; Guest off 1GB ShutOff; Guest small 1GB) | Where-Object { $n = $_.Name; $Name | Where-Object { $n -like $_ } } }
        Mock Get-KvmHost { [KvmPS.KvmHostInfo]@{ ComputerName = $ComputerName[0]; MemoryAvailableBytes = @{ d1 = 5GB; d2 = 4GB }[$ComputerName[0]] } }
        Mock Test-KvmMigration { Checks $Guest $Destination }
        Mock Move-KvmGuest {
            foreach ($g in $Guest) { [KvmPS.KvmMigrationResult]@{ Name = $g.Name; ComputerName = 'src'; Destination = $Destination; Mode = 'Live'; Duration = [TimeSpan]::FromSeconds(3) } }
        }
    }

    It 'places the largest guests first on the destination with the most free memory left, and moves them' {
        $r = & $Runbook -ComputerName src -Destination d1, d2
        $r.Name | Should -Be 'big', 'mid', 'off', 'small'
        $r.Status | Should -Be 'Moved', 'Moved', 'Skipped', 'Moved'
        # big (4 GB) to d1 (5 GB free, 1 left); mid to d2 (4 GB, 2 left); small to d2 (2 GB left beats 1).
        $r.Destination | Should -Be 'd1', 'd2', '', 'd2'
        $r[0].Mode | Should -Be 'Live'
        $r[0].Duration | Should -Be ([TimeSpan]::FromSeconds(3))
        $r[2].Reason | Should -Be 'Not running (ShutOff): it stays on src.'
        $r[0].PSObject.TypeNames[0] | Should -Be 'KvmPS.Runbook.GuestEvacuation'
        Should -Invoke Move-KvmGuest -Times 1 -Exactly -ParameterFilter { $Destination -eq 'd1' -and "$($Guest.Name)" -eq 'big' }
        Should -Invoke Move-KvmGuest -Times 1 -Exactly -ParameterFilter { $Destination -eq 'd2' -and "$($Guest.Name)" -eq 'mid small' }
        # The stopped guest is neither checked nor moved.
        Should -Invoke Test-KvmMigration -Times 0 -ParameterFilter { $Guest.Name -contains 'off' }
        Should -Invoke Get-KvmGuest -Times 1 -Exactly -ParameterFilter { $ComputerName -eq 'src' -and $Name -eq '*' }
    }

    It 'tries a guest whose pre-flight fails on the next destination, and skips it with every reason when none passes' {
        Mock Test-KvmMigration { Checks $Guest $Destination -Refuse 'big>d1', 'mid>d2', 'mid>d1' }
        $r = & $Runbook -ComputerName src -Destination d1, d2
        ($r | Where-Object Name -eq big).Destination | Should -Be 'd2'
        ($r | Where-Object Name -eq big).Status | Should -Be 'Moved'
        $mid = $r | Where-Object Name -eq mid
        $mid.Status | Should -Be 'Skipped'
        $mid.Reason | Should -Be 'Pre-flight failed: d2: [Memory] memory on d2 d1: [Memory] memory on d1'
        Should -Invoke Move-KvmGuest -Times 0 -ParameterFilter { $Guest.Name -contains 'mid' }
    }

    It 'reports a move that failed as Failed with the error, never as Moved, and goes on' {
        Mock Move-KvmGuest {
            foreach ($g in $Guest) {
                if ($g.Name -eq 'small') { Write-Error -Message "MigrationFailed: small is still running on src" -ErrorId MigrationFailed -TargetObject $g }
                else { [KvmPS.KvmMigrationResult]@{ Name = $g.Name; Destination = $Destination; Mode = 'Live' } }
            }
        }
        $r = & $Runbook -ComputerName src -Destination d1, d2 -ErrorVariable errs -ErrorAction SilentlyContinue
        $small = $r | Where-Object Name -eq small
        $small.Status | Should -Be 'Failed'
        $small.Reason | Should -Be 'MigrationFailed: small is still running on src'
        ($r | Where-Object Name -eq mid).Status | Should -Be 'Moved'
        "$errs" | Should -BeLike '*small is still running on src*'
    }

    It 'passes -WhatIf to Move-KvmGuest, and reports WhatIf rather than Moved' {
        Mock Move-KvmGuest { }
        $r = & $Runbook -ComputerName src -Destination d1 -WhatIf
        ($r | Where-Object State -eq Running).Status | Should -Be 'WhatIf', 'WhatIf', 'WhatIf'
        Should -Invoke Move-KvmGuest -Times 1 -Exactly -ParameterFilter { $WhatIf }
        Should -Invoke Move-KvmGuest -Times 0 -ParameterFilter { -not $WhatIf }
    }

    It 'reports a move whose prompt was declined as Skipped' {
        Mock Move-KvmGuest { }
        $r = & $Runbook -ComputerName src -Destination d1 -Name big
        $r.Status | Should -Be 'Skipped'
        $r.Reason | Should -Be 'The move to d1 was not confirmed.'
    }

    It 'passes -IncludeStorage and -TrustMode to the pre-flight and the move, and -ThrottleLimit to the move' {
        & $Runbook -ComputerName src -Destination d1 -IncludeStorage -TrustMode Ephemeral -ThrottleLimit 2 | Out-Null
        Should -Invoke Test-KvmMigration -ParameterFilter { $IncludeStorage -and $TrustMode -eq 'Ephemeral' }
        Should -Invoke Test-KvmMigration -Times 0 -ParameterFilter { -not $IncludeStorage }
        Should -Invoke Move-KvmGuest -Times 1 -Exactly -ParameterFilter { $IncludeStorage -and $TrustMode -eq 'Ephemeral' -and $ThrottleLimit -eq 2 }
    }

    It 'leaves out a destination it cannot read, with a warning' {
        Mock Get-KvmHost { if ($ComputerName[0] -eq 'dead') { throw 'no route to dead' } else { [KvmPS.KvmHostInfo]@{ MemoryAvailableBytes = 8GB } } }
        $r = & $Runbook -ComputerName src -Destination dead, d2 -WarningVariable warned -WarningAction SilentlyContinue
        ($r | Where-Object State -eq Running).Destination | Should -Be 'd2', 'd2', 'd2'
        "$warned" | Should -BeLike '*dead is left out: no route to dead*'
        Should -Invoke Test-KvmMigration -Times 0 -ParameterFilter { $Destination -eq 'dead' }
    }
}

# kvm1 is drained to kvm2: two tiny guests move live, one on a bridge kvm2 lacks fails its
# pre-flight, one stopped guest stays. The tiny guests boot a kernel every lab host sees: no disks.
Describe 'Invoke-KvmHostEvacuation.ps1 between two lab hosts' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:S1 = Connect-LabHost $Lab 0
        $script:S2 = Connect-LabHost $Lab 1
        $script:P = New-GuestPrefix 'evac'
        $script:Bridge = 'evacbr' + (Get-Random -Maximum 999)
        Invoke-KvmLabCommand kvm1 'sh', '-c', "ip link add $Bridge type bridge && ip link set $Bridge up" | Out-Null
        New-TinyLabGuest kvm1 "${P}a"
        New-TinyLabGuest kvm1 "${P}b"
        New-TinyLabGuest kvm1 "${P}pinned" -Bridge $Bridge
        New-TinyLabGuest kvm1 "${P}off" -NoStart
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
        Clear-LabGuests kvm2 $P
        Invoke-KvmLabCommand kvm1 'sh', '-c', "ip link del $Bridge; true" | Out-Null
    }

    It '-WhatIf pre-flights every guest and moves none' {
        $r = & $Runbook -Session $S1 -Name "$P*" -Destination $S2 -WhatIf
        ($r | Sort-Object Name).Status | Should -Be 'WhatIf', 'WhatIf', 'Skipped', 'Skipped'
        Get-LabGuestPlaces kvm2 $P | Should -BeNullOrEmpty
    }

    It 'moves the guests that pass, skips the others with the reason, and reports each one' {
        $r = & $Runbook -Session $S1 -Name "$P*" -Destination $S2 -WarningAction SilentlyContinue
        $byName = @{}
        $r | ForEach-Object { $byName[$_.Name] = $_ }
        $byName["${P}a"].Status | Should -Be 'Moved'
        $byName["${P}b"].Status | Should -Be 'Moved'
        $byName["${P}a"].Destination | Should -Be $S2.ComputerName
        $byName["${P}a"].Mode | Should -Be 'Live'
        $byName["${P}pinned"].Status | Should -Be 'Skipped'
        $byName["${P}pinned"].Reason | Should -BeLike "*[[]Networks[]]*$Bridge*"
        $byName["${P}off"].Status | Should -Be 'Skipped'
        $byName["${P}off"].Reason | Should -BeLike 'Not running (ShutOff)*'
        # The hosts agree with the report.
        Get-LabGuestPlaces kvm2 $P | Should -Be @("${P}a running yes", "${P}b running yes")
        Get-LabGuestPlaces kvm1 $P | Should -Be @("${P}off shut_off yes", "${P}pinned running yes")
    }
}
