# Issue 8, concurrency and load: many guests on one host, many runspaces on one host, many hosts
# at once. Counts and correctness only; the times are measured by bench/Load.Bench.ps1.

BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Load' -Skip:([bool]$LabSkip) {
    BeforeAll {
        # Ten hosts once for the whole file (the last part needs them; the others use kvm1).
        $null = Start-KvmLab -HostCount 10 -TimeoutSec 600
        $script:Lab = Get-KvmLab
    }

    AfterAll {
        # The other test files use up to three hosts: give the machine its CPU back.
        $null = Start-KvmLab -HostCount 3
    }

    Context 'A host with 200 defined guests' {
        BeforeAll {
            $script:P = New-GuestPrefix 'load'
            New-LabGuests kvm1 $P -Count 180
            New-LabGuests kvm1 "${P}on" -Count 20 -Start
        }

        AfterAll {
            Disconnect-KvmHost -All
            Clear-LabGuests kvm1 $P
        }

        It 'lists all 200 with their details in at most 2 round trips, host facts included' {
            $s = Connect-LabHost $Lab
            $before = $s.RoundTrips
            $guests = @(Get-KvmGuest -Session $s -Name "$P*")
            $s.RoundTrips - $before | Should -BeLessOrEqual 2

            $guests.Count | Should -Be 200
            @($guests | Where-Object State -eq 'Running').Count | Should -Be 20
            @($guests | Where-Object { $_.Name -like "${P}on*" -and $_.State -ne 'Running' }).Count | Should -Be 0
            $guests.MemoryBytes | Sort-Object -Unique | Should -Be 32MB
            $guests.ComputerName | Sort-Object -Unique | Should -Be $s.ComputerName
            ($guests.Name | Sort-Object -Unique).Count | Should -Be 200
        }

        It 'lists them again in exactly 1 round trip once the host facts are known' {
            $s = Connect-LabHost $Lab
            $null = Get-KvmGuest -Session $s -Name "${P}1"
            $before = $s.RoundTrips
            @(Get-KvmGuest -Session $s -Name "$P*").Count | Should -Be 200
            $s.RoundTrips - $before | Should -Be 1
        }

        It 'stops and starts the 20 running ones through the pipeline with one round trip per step' {
            $s = Connect-LabHost $Lab
            $running = @(Get-KvmGuest -Session $s -Name "${P}on*")
            $before = $s.RoundTrips
            $stopped = @($running | Stop-KvmGuest -Force -PassThru -Confirm:$false)
            $stopCost = $s.RoundTrips - $before
            $stopped.Count | Should -Be 20
            $stopped.State | Sort-Object -Unique | Should -Be 'ShutOff'
            @(Invoke-KvmLabCommand kvm1 virsh, list, --name | Where-Object { $_ -like "${P}on*" }).Count | Should -Be 0

            $before = $s.RoundTrips
            $started = @($stopped | Start-KvmGuest -PassThru)
            $startCost = $s.RoundTrips - $before
            $started.State | Sort-Object -Unique | Should -Be 'Running'
            @(Invoke-KvmLabCommand kvm1 virsh, list, --name | Where-Object { $_ -like "${P}on*" }).Count | Should -Be 20
            # Re-reading the guests the pipeline brought, the action batch, and the result read-back.
            $stopCost | Should -BeLessOrEqual 3
            $startCost | Should -BeLessOrEqual 3
        }
    }

    Context 'Eight runspaces working on one host at once' {
        BeforeAll {
            $script:P = New-GuestPrefix 'rs'
            foreach ($i in 1..8) { New-LabGuests kvm1 "${P}$i-" -Count 3 -Start }
            $script:Target = "root@$($Lab.hosts[0].address)"
            Disconnect-KvmHost -All
            $null = Connect-KvmHost $Target -KeyFilePath $Lab.keyFile -KnownHostsPath $Lab.knownHosts

            # Each runspace imports the module itself, as a ForEach-Object -Parallel script does, and reaches
            # the host by -ComputerName: the module's one pooled session (opened above) serves all eight.
            $script:Work = {
                param($ModulePath, $Target, $Prefix, $Rounds)
                $ErrorActionPreference = 'Stop'
                Import-Module $ModulePath
                $seen = [Collections.Generic.List[string]]::new()
                foreach ($round in 1..$Rounds) {
                    $mine = @(Get-KvmGuest -ComputerName $Target -Name "$Prefix*")
                    $seen.Add(($mine.Name | Sort-Object) -join ',')
                    $off = @($mine | Stop-KvmGuest -Force -PassThru -Confirm:$false)
                    $seen.Add('stopped:' + (($off | Where-Object State -eq 'ShutOff').Count))
                    $on = @($off | Start-KvmGuest -PassThru)
                    $seen.Add('started:' + (($on | Where-Object State -eq 'Running').Count))
                    $null = Get-KvmHost -ComputerName $Target
                    $null = Get-KvmNetwork -ComputerName $Target
                }
                [pscustomobject]@{ Prefix = $Prefix; Seen = $seen.ToArray(); Sessions = @(Get-KvmSession).Count }
            }
        }

        AfterAll {
            Disconnect-KvmHost -All
            Clear-LabGuests kvm1 $P
        }

        It 'gives every runspace its own guests, changed as asked, with no error and one shared session' {
            $pool = [runspacefactory]::CreateRunspacePool(8, 8)
            $pool.Open()
            $jobs = foreach ($i in 1..8) {
                $ps = [powershell]::Create()
                $ps.RunspacePool = $pool
                $null = $ps.AddScript($Work).AddArgument((Get-KvmPSModulePath)).AddArgument($Target).AddArgument("${P}$i-").AddArgument(2)
                [pscustomobject]@{ Index = $i; PowerShell = $ps; Handle = $ps.BeginInvoke() }
            }
            try {
                $results = foreach ($job in $jobs) {
                    # A guard against a hang, not a speed check: the work takes well under a minute.
                    if (-not $job.Handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromMinutes(10))) { throw "runspace $($job.Index) still runs after 10 minutes" }
                    $out = $job.PowerShell.EndInvoke($job.Handle)
                    $job.PowerShell.Streams.Error | Should -BeNullOrEmpty -Because "runspace $($job.Index)"
                    $out
                }
            }
            finally {
                $jobs.PowerShell | ForEach-Object Dispose
                $pool.Dispose()
            }

            $results.Count | Should -Be 8
            foreach ($r in $results) {
                $expected = (1..3 | ForEach-Object { "$($r.Prefix)$_" } | Sort-Object) -join ','
                $r.Seen | Should -Be @(1..2 | ForEach-Object { $expected; 'stopped:3'; 'started:3' })
                $r.Sessions | Should -Be 1 -Because 'all runspaces share the module''s session to the host'
            }
            @(Invoke-KvmLabCommand kvm1 virsh, list, --name | Where-Object { $_ -like "$P*" }).Count | Should -Be 24
        }
    }

    Context 'Ten hosts in parallel' {
        BeforeAll {
            $script:P = New-GuestPrefix 'ten'
            foreach ($h in $Lab.hosts) { New-LabGuests $h.name "${P}$($h.name)-" -Count 2 -Start }
            $targets = $Lab.hosts | ForEach-Object { "root@$($_.address)" }
            $script:Sessions = @(Connect-KvmHost $targets -KeyFilePath $Lab.keyFile -KnownHostsPath $Lab.knownHosts)
        }

        AfterAll {
            Disconnect-KvmHost -All
            foreach ($h in $Lab.hosts) { Clear-LabGuests $h.name $P }
        }

        It 'connects to all ten at once, each session to its own host key' {
            $Sessions.Count | Should -Be 10
            $Sessions.State | Sort-Object -Unique | Should -Be 'Opened'
            ($Sessions.HostKeyFingerprint | Sort-Object -Unique).Count | Should -Be 10
        }

        It 'reads every host once, each answer from the host it names' {
            $infos = @(Get-KvmHost -Session $Sessions)
            $infos.Count | Should -Be 10
            foreach ($s in $Sessions) {
                $info = @($infos | Where-Object ComputerName -eq $s.ComputerName)
                $info.Count | Should -Be 1
                $name = ($Lab.hosts | Where-Object { "root@$($_.address)" -eq $s.ComputerName }).name
                $info[0].HostName | Should -Be $name
            }
        }

        It 'lists every host''s guests, each under its own host, and stops them all in one call' {
            $guests = @(Get-KvmGuest -Session $Sessions -Name "$P*")
            $guests.Count | Should -Be 20
            foreach ($g in $guests) {
                $address = $g.ComputerName -replace '^root@'
                $hostName = ($Lab.hosts | Where-Object address -eq $address).name
                $g.Name | Should -BeLike "${P}$hostName-*"
            }
            $stopped = @($guests | Stop-KvmGuest -Force -PassThru -Confirm:$false)
            $stopped.Count | Should -Be 20
            foreach ($h in $Lab.hosts) {
                @(Invoke-KvmLabCommand $h.name virsh, list, --name | Where-Object { $_ -like "$P*" }).Count | Should -Be 0 -Because $h.name
            }
        }

        It 'checks the capability of all ten in one call' {
            $summaries = @(Test-KvmCapability -Session $Sessions | Where-Object { $_ -is [KvmPS.KvmCapabilitySummary] })
            $summaries.Count | Should -Be 10
            ($summaries.ComputerName | Sort-Object -Unique).Count | Should -Be 10
        }
    }
}
