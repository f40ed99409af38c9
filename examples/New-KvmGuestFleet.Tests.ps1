BeforeDiscovery {
    . "$PSScriptRoot/../tests/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/../tests/common.ps1"
    Import-KvmPSUnderTest
    $script:Runbook = Join-Path $PSScriptRoot 'New-KvmGuestFleet.ps1'
}

# The KvmPS cmdlets are mocked; the runbook's decisions are what is tested. New-KvmGuest reads the
# spec itself, so the file's content does not matter here.
Describe 'New-KvmGuestFleet.ps1 decisions (KvmPS mocked)' {
    BeforeAll {
        function script:Guest([string]$Name, [string]$State = 'ShutOff', [string[]]$IP = @()) {
            [KvmPS.KvmGuest]@{ ComputerName = 'kvm1'; Name = $Name; State = $State; IPAddresses = $IP }
        }
    }

    BeforeEach {
        # web1 is new; db1 exists and runs; app1 exists and is stopped; bad1 is refused.
        Mock New-KvmGuest {
            if (-not $PesterBoundParameters.WhatIf) { Guest web1 }
            Write-Error -Message "db1 (spec.yaml:7:5): A guest named 'db1' already exists on kvm1 (Running)." -ErrorId GuestExists -TargetObject 'db1'
            Write-Error -Message "app1 (spec.yaml:9:5): A guest named 'app1' already exists on kvm1 (ShutOff)." -ErrorId GuestExists -TargetObject 'app1'
            Write-Error -Message "bad1 (spec.yaml:11:5): There is no storage pool 'fast' on kvm1." -ErrorId PoolNotFound -TargetObject 'bad1'
        }
        Mock Get-KvmGuest { Guest db1 Running; Guest app1 }
        Mock Start-KvmGuest { }
        Mock Wait-KvmGuest { foreach ($g in $Guest) { Guest $g.Name Running $(if ($ForIPAddress) { "192.0.2.$($g.Name.Length)" }) } }
    }

    It 'creates what is missing, reports existing guests as Exists and refused ones as Failed' {
        # What the caller sees: the reports, and on the error stream only the guest that failed.
        $all = & $Runbook -Path spec.yaml -ComputerName kvm1 -ErrorAction Continue 2>&1
        $errs = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $r = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
        $r.Name | Should -Be 'web1', 'bad1', 'db1', 'app1'
        $r.Status | Should -Be 'Created', 'Failed', 'Exists', 'Exists'
        $r[1].Error | Should -BeLike "*no storage pool 'fast'*"
        $r[2].State | Should -Be 'Running'
        $r[0].PSObject.TypeNames[0] | Should -Be 'KvmPS.Runbook.FleetGuest'
        $errs.Count | Should -Be 1
        "$errs" | Should -BeLike '*bad1*'
        Should -Invoke New-KvmGuest -Times 1 -Exactly -ParameterFilter { $Spec -eq 'spec.yaml' -and $ComputerName -eq 'kvm1' -and $PassThru }
        Should -Invoke Get-KvmGuest -Times 1 -Exactly -ParameterFilter { "$Name" -eq 'app1 db1' }
        # Without -Start nothing is started.
        Should -Invoke Start-KvmGuest -Times 0
    }

    It 'is idempotent: a second run creates nothing and reports every guest as Exists' {
        Mock New-KvmGuest {
            foreach ($n in 'web1', 'db1') { Write-Error -Message "A guest named '$n' already exists on kvm1." -ErrorId GuestExists -TargetObject $n }
        }
        Mock Get-KvmGuest { Guest web1 Running; Guest db1 Running }
        $r = & $Runbook -Path spec.yaml -ComputerName kvm1 -Start
        $r.Status | Should -Be 'Exists', 'Exists'
        Should -Invoke Start-KvmGuest -Times 0
    }

    It '-WaitForIPAddress starts the guests that do not run and reports their addresses' {
        $r = & $Runbook -Path spec.yaml -ComputerName kvm1 -WaitForIPAddress -Timeout 60 -ErrorAction SilentlyContinue
        Should -Invoke Start-KvmGuest -Times 1 -Exactly -ParameterFilter { "$($Guest.Name)" -eq 'web1 app1' }
        Should -Invoke Wait-KvmGuest -Times 1 -Exactly -ParameterFilter { $ForIPAddress -and $Timeout -eq 60 -and "$($Guest.Name)" -eq 'web1 db1 app1' }
        ($r | Where-Object Name -eq web1).IPAddresses | Should -Be '192.0.2.4'
        ($r | Where-Object Name -eq app1).State | Should -Be 'Running'
    }

    It 'reports a guest that got no address in time as Failed, saying so' {
        Mock Wait-KvmGuest {
            foreach ($g in $Guest) {
                if ($g.Name -eq 'app1') { Write-Error -Message 'app1 is running but has no IP address after 60 s.' -ErrorId WaitTimedOut -TargetObject $g }
                else { Guest $g.Name Running '192.0.2.9' }
            }
        }
        $r = & $Runbook -Path spec.yaml -ComputerName kvm1 -WaitForIPAddress -ErrorAction SilentlyContinue
        $app = $r | Where-Object Name -eq app1
        $app.Status | Should -Be 'Failed'
        $app.Error | Should -Be 'No IP address in time: app1 is running but has no IP address after 60 s.'
        ($r | Where-Object Name -eq web1).Status | Should -Be 'Created'
    }

    It 'passes -WhatIf to New-KvmGuest and Start-KvmGuest and waits for nothing' {
        $r = & $Runbook -Path spec.yaml -ComputerName kvm1 -Start -WhatIf -ErrorAction SilentlyContinue
        $r.Name | Should -Not -Contain 'web1'
        Should -Invoke New-KvmGuest -Times 1 -Exactly -ParameterFilter { $WhatIf }
        Should -Invoke Start-KvmGuest -Times 1 -Exactly -ParameterFilter { $WhatIf -and "$($Guest.Name)" -eq 'app1' }
        Should -Invoke Start-KvmGuest -Times 0 -ParameterFilter { -not $WhatIf }
        Should -Invoke Wait-KvmGuest -Times 0
    }
}

# On kvm1: f-a is new, f-b exists already (stopped); both boot the tiny guest on 'default' and get leases.
Describe 'New-KvmGuestFleet.ps1 on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'fleet'
        Invoke-KvmLabCommand kvm1 virsh, net-start, default -IgnoreExitCode | Out-Null
        New-TinyLabGuest kvm1 "${P}b" -Network default -NoStart
        $tiny = Initialize-TinyGuest
        $script:Spec = Join-Path ([IO.Path]::GetTempPath()) "$P.yaml"
        @"
defaults:
  memoryBytes: 96MB
  kernelPath: $($tiny.Kernel)
  initrdPath: $($tiny.Initrd)
  kernelArguments: '$($tiny.Cmdline)'
  network: default
  graphics: None
guests:
  - name: ${P}a
  - name: ${P}b
"@ | Set-Content $Spec
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
        Remove-Item $Spec -ErrorAction SilentlyContinue
    }

    It '-WhatIf creates and starts nothing' {
        $r = & $Runbook -Path $Spec -Session $S -Start -WhatIf -WarningAction SilentlyContinue
        $r.Name | Should -Be "${P}b"
        $r.Status | Should -Be 'Exists'
        Get-LabGuestPlaces kvm1 $P | Should -Be @("${P}b shut_off yes")
    }

    It 'creates the missing guest, starts both and reports their addresses' {
        $r = & $Runbook -Path $Spec -Session $S -WaitForIPAddress -Timeout 180 -WarningAction SilentlyContinue
        ($r | Sort-Object Name).Status | Should -Be 'Created', 'Exists'
        foreach ($g in $r) {
            $g.Error | Should -BeNullOrEmpty
            $g.State | Should -Be 'Running'
            $g.IPAddresses[0] | Should -Match '^192\.168\.122\.\d+$'
        }
        Get-LabGuestPlaces kvm1 $P | Should -Be @("${P}a running yes", "${P}b running yes")
    }

    It 'creates nothing the second time' {
        $r = & $Runbook -Path $Spec -Session $S -Start -WarningAction SilentlyContinue
        $r.Status | Should -Be 'Exists', 'Exists'
        Get-LabGuestPlaces kvm1 $P | Should -Be @("${P}a running yes", "${P}b running yes")
    }
}
