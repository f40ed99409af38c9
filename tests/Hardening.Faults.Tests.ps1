# Issue 8, faults: a bulk guest operation (Stop-KvmGuest -Force -PassThru on 8 guests) broken in the
# middle by (1) the session's sshd child killed, (2) the host's port 22 dropped (a host that stops
# answering), (3) libvirtd killed. Each time: every guest has exactly one outcome (an output object or
# an error whose target is that guest), nothing reported done is not done on the host, an unknown
# fate says so and how to check, and the next command on the same session reconnects and works.
BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Bulk guest operations survive faults mid-way' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'flt'
        $script:Count = 8
        $script:Slow = 2   # guests whose QEMU is frozen: their destroy waits for libvirt's SIGTERM grace (~10 s)
        $script:Trials = [Collections.Generic.List[object]]::new()
        New-LabGuests kvm1 $P -Count $Count -Start

        # Every guest of the prefix running again, none frozen (between trials).
        function Reset-Guests {
            # A thawed QEMU may still die of the SIGTERM it got while frozen: thaw all, then start the off ones.
            $script = @'
for p in /var/run/libvirt/qemu/"$1"*.pid; do [ -f "$p" ] && kill -CONT "$(cat "$p")" 2>/dev/null; done
sleep 1
for d in $(virsh list --all --name); do case "$d" in "$1"*) [ "$(virsh domstate "$d" | head -1)" = "shut off" ] && virsh start "$d" >/dev/null;; esac; done
exit 0
'@
            Invoke-KvmLabCommand kvm1 'sh', '-s', '--', $P -InputText $script | Out-Null
        }

        # Freezes the QEMU of the last $Slow guests: SIGTERM cannot end them, so their destroy takes
        # libvirt's grace period, and the fault lands while they are still being stopped.
        function Lock-SlowGuests {
            $script = 'for i in $(seq $(($2 - $3 + 1)) $2); do kill -STOP "$(cat /var/run/libvirt/qemu/$1$i.pid)" || exit 1; done'
            Invoke-KvmLabCommand kvm1 'sh', '-c', $script, 'freeze', $P, "$Count", "$Slow" | Out-Null
        }

        # name -> libvirt's state, read as root inside the host (not through KvmPS).
        function Get-HostTruth {
            $script = 'for d in $(virsh list --all --name); do case "$d" in "$1"*) printf "%s|%s\n" "$d" "$(virsh domstate "$d" | head -1)";; esac; done'
            $truth = @{}
            Invoke-KvmLabCommand kvm1 'sh', '-c', $script, 'truth', $P | ForEach-Object { $n, $st = $_ -split '\|'; $truth[$n] = $st }
            $truth
        }

        # The sshd process that serves the session's connection: the first sshd up the shell's parent chain.
        function Get-ServingSshd {
            $chain = (Invoke-TransportCommand -Session $S -Argv 'sh', '-c', 'p=$PPID; while [ "$p" -gt 1 ]; do echo "$p $(cat /proc/$p/comm)"; p=$(awk "/^PPid:/ {print \$2}" /proc/$p/status); done').StdoutText
            ($chain -split "`n" | Where-Object { $_ -match '^\d+ sshd' } | Select-Object -First 1) -replace ' .*$', ''
        }

        # The bulk operation, in its own runspace so that the test can break things while it runs.
        function Start-Bulk {
            $guests = @(Get-KvmGuest -Session $S -Name "$P*")
            $guests.Count | Should -Be $Count
            $ps = [powershell]::Create()
            $null = $ps.AddScript({
                param($Module, $Guests)
                Import-Module $Module
                $Guests | Stop-KvmGuest -Force -PassThru -Timeout 1 -Confirm:$false
            }).AddArgument((Get-KvmPSModulePath)).AddArgument($guests)
            [pscustomobject]@{ PS = $ps; Handle = $ps.BeginInvoke(); Guests = $guests }
        }

        # A watcher inside the host fires the fault the moment all but the frozen guests are off (their
        # pid files gone): polling from here through lab.sh is too slow on a busy machine to land in
        # the middle. It leaves "fired N" (N guests still running then) in a file of the host.
        function Start-FaultWatcher([ValidateSet('sshd', 'drop', 'libvirtd')][string]$Fault, [string]$Argument = '-') {
            $watch = @'
prefix=$1 slow=$2 fault=$3 arg=$4 mark=/tmp/kvmps-fault-$1
i=0
while :; do
    n=$(ls /var/run/libvirt/qemu | grep -c "^$prefix.*\.pid$")
    [ "$n" -le "$slow" ] && break
    i=$((i + 1)); [ "$i" -gt 3000 ] && { echo "never fired" > "$mark"; exit 1; }
    sleep 0.05
done
case $fault in
    sshd) kill -9 "$arg" ;;
    drop) iptables -I INPUT -p tcp --dport 22 -j DROP; iptables -I OUTPUT -p tcp --sport 22 -j DROP ;;
    libvirtd) kill -9 "$(cat /run/libvirtd.pid)" ;;
esac
echo "fired $n" > "$mark"
'@
            Invoke-KvmLabCommand kvm1 'rm', '-f', "/tmp/kvmps-fault-$P" | Out-Null
            $detach = 'setsid sh -c "$1" watcher "$2" "$3" "$4" "$5" </dev/null >/dev/null 2>&1 &'
            Invoke-KvmLabCommand kvm1 'sh', '-c', $detach, 'detach', $watch, $P, "$Slow", $Fault, $Argument | Out-Null
        }

        # The watcher fired while exactly the frozen guests were still being stopped: the middle.
        function Assert-Middle {
            Invoke-KvmLabCommand kvm1 'cat', "/tmp/kvmps-fault-$P" -IgnoreExitCode | Should -Be "fired $Slow" -Because 'the fault must land while some guests are done and others not'
        }

        # Waits for the cmdlet (generous guard: it must end on its own), returns its outputs and errors.
        function Complete-Bulk($Bulk) {
            $ended = $Bulk.Handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(240))
            if (-not $ended) { $Bulk.PS.Stop() }
            $ended | Should -BeTrue -Because 'a bulk operation must end on its own when the host fails'
            $out = @($Bulk.PS.EndInvoke($Bulk.Handle))
            $errors = @($Bulk.PS.Streams.Error)
            $Bulk.PS.Dispose()
            [pscustomobject]@{ Out = $out; Errors = $errors }
        }

        # The promises of the issue, for one trial; records the row for the report.
        function Assert-Outcomes([string]$Fault, $Bulk, $Result) {
            $truth = Get-HostTruth
            $done = @($Result.Out | ForEach-Object Name)
            $perGuest = @($Result.Errors | Where-Object { $_.TargetObject -is [KvmPS.KvmGuest] })
            $unknown = @($perGuest | Where-Object { $_.FullyQualifiedErrorId -like 'GuestStateUnknown,*' })
            $failed = @($perGuest | Where-Object { $_.FullyQualifiedErrorId -notlike 'GuestStateUnknown,*' })
            $script:Trials.Add([pscustomobject]@{
                    Fault = $Fault; Guests = $Count; Done = $done.Count; Failed = $failed.Count; Unknown = $unknown.Count
                    OtherErrors = $Result.Errors.Count - $perGuest.Count
                    HostOff = @($truth.Values | Where-Object { $_ -eq 'shut off' }).Count
                    DoneState = (@($Result.Out | ForEach-Object { "$($_.State)" }) | Sort-Object -Unique) -join ' '
                    ErrorIds = (@($Result.Errors | ForEach-Object { $_.FullyQualifiedErrorId -replace ',.*' }) | Sort-Object -Unique) -join ' '
                })
            Write-Host ($script:Trials[-1] | Format-List | Out-String)

            foreach ($g in $Bulk.Guests) {
                $outcomes = @($Result.Out | Where-Object Uuid -eq $g.Uuid).Count + @($perGuest | Where-Object { $_.TargetObject.Uuid -eq $g.Uuid }).Count
                $outcomes | Should -Be 1 -Because "$($g.Name) must have exactly one outcome ($($Result.Errors | Out-String))"
            }

            foreach ($name in $done) { $truth[$name] | Should -Be 'shut off' -Because "$name was reported done" }
            # A done guest shows its state after the action, or Unknown when it could not be read again.
            foreach ($g in $Result.Out) { "$($g.State)" | Should -BeIn 'ShutOff', 'Unknown' -Because "$($g.Name) was returned as done" }
            foreach ($e in $unknown) {
                $e.Exception.Message | Should -Match 'state is unknown'
                $e.ErrorDetails.RecommendedAction | Should -BeLike "*Get-KvmGuest -ComputerName $($S.ComputerName) -Name '$($e.TargetObject.Name)'*"
                $e.CategoryInfo.Category | Should -Be 'ConnectionError'
            }

            # The fault hit mid-way: the guests being stopped then are neither done nor failed.
            $unknown.Count | Should -BeGreaterOrEqual $Slow -Because ($Result.Errors | Out-String)
        }

        # Both ways: with only INPUT dropped the host's answers still flow out, and the batch ends well.
        function Remove-PortDrop {
            $script = 'while iptables -D INPUT -p tcp --dport 22 -j DROP 2>/dev/null; do :; done; while iptables -D OUTPUT -p tcp --sport 22 -j DROP 2>/dev/null; do :; done'
            Invoke-KvmLabCommand kvm1 'sh', '-c', $script | Out-Null
        }

        # One trial: the watcher armed, the bulk operation run to its end, the fault repaired, the promises checked.
        function Invoke-FaultTrial([string]$Label, [string]$Fault, [string]$Argument = '-', [string]$Lost, [scriptblock]$Repair = {}) {
            Start-FaultWatcher $Fault $Argument
            $bulk = Start-Bulk
            try { $result = Complete-Bulk $bulk }
            finally { & $Repair }
            Assert-Middle
            Assert-Outcomes $Label $bulk $result
            $result.Errors | Where-Object { $_.FullyQualifiedErrorId -like 'GuestStateUnknown,*' } | ForEach-Object { $_.Exception.Message | Should -BeLike $Lost }
            Assert-Reconnects
        }

        # The next command on the same session reconnects on its own and works.
        function Assert-Reconnects {
            $now = @(Get-KvmGuest -Session $S -Name "$P*")
            $now.Count | Should -Be $Count
            $S.State | Should -Be 'Opened'
        }
    }

    AfterAll {
        Remove-PortDrop
        if ($Trials.Count) {
            Write-Host ($Trials | Format-Table -AutoSize | Out-String)
            $dir = Join-Path $PSScriptRoot '../output/test-results'
            $null = New-Item -ItemType Directory -Force $dir
            $Trials | Export-Csv -NoTypeInformation (Join-Path $dir 'faults.csv')
        }
        Disconnect-KvmHost -All
        Reset-Guests
        Clear-LabGuests kvm1 $P
    }

    BeforeEach {
        Reset-Guests
        Assert-Reconnects
        @((Get-HostTruth).Values | Where-Object { $_ -ne 'running' }) | Should -BeNullOrEmpty -Because 'every trial starts with all guests running'
        Lock-SlowGuests
    }

    It 'sshd child killed mid-way: every guest has one outcome, the next command reconnects' {
        $sshd = Get-ServingSshd
        $sshd | Should -Not -BeNullOrEmpty
        Invoke-FaultTrial 'sshd killed' sshd $sshd -Lost '*The connection to * was lost while*'
    }

    It 'port 22 dropped both ways mid-way (the host stops answering): every guest has one outcome, the next command reconnects' {
        Invoke-FaultTrial 'port 22 dropped both ways' drop -Lost '*The connection to * was lost while*' -Repair { Remove-PortDrop }
    }

    It 'libvirtd killed mid-way: every guest has one outcome, the next command works' {
        Invoke-FaultTrial 'libvirtd killed' libvirtd -Lost '*libvirt on * went away while*' -Repair {
            # Thawed first: a restarted libvirtd would wait on the monitor of a frozen QEMU.
            Invoke-KvmLabCommand kvm1 'sh', '-c', 'for p in /var/run/libvirt/qemu/"$1"*.pid; do kill -CONT "$(cat "$p")"; done; exit 0', 'thaw', $P | Out-Null
            Set-KvmLabLibvirtd kvm1 Start
        }
    }

    It 'libvirtd down before the bulk operation: every piped guest gets an error saying nothing was changed' {
        $guests = @(Get-KvmGuest -Session $S -Name "$P*")
        Set-KvmLabLibvirtd kvm1 Kill
        try { $out = @($guests | Stop-KvmGuest -Force -PassThru -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue) }
        finally {
            Invoke-KvmLabCommand kvm1 'sh', '-c', 'for p in /var/run/libvirt/qemu/"$1"*.pid; do kill -CONT "$(cat "$p")"; done; exit 0', 'thaw', $P | Out-Null
            Set-KvmLabLibvirtd kvm1 Start
        }
        $truth = Get-HostTruth
        $script:Trials.Add([pscustomobject]@{ Fault = 'libvirtd down before'; Guests = $Count; Done = $out.Count; Failed = $failed.Count; Unknown = 0
                OtherErrors = @($failed | Where-Object { $_.TargetObject -isnot [KvmPS.KvmGuest] }).Count
                HostOff = @($truth.Values | Where-Object { $_ -eq 'shut off' }).Count; DoneState = ''
                ErrorIds = (@($failed | ForEach-Object { $_.FullyQualifiedErrorId -replace ',.*' }) | Sort-Object -Unique) -join ' ' })
        $out | Should -BeNullOrEmpty
        foreach ($g in $guests) {
            $mine = @($failed | Where-Object { $_.TargetObject.Uuid -eq $g.Uuid })
            $mine.Count | Should -Be 1 -Because "$($g.Name) must have exactly one outcome"
            $mine[0].FullyQualifiedErrorId | Should -BeLike 'GuestActionNotRun,*'
            $mine[0].Exception.Message | Should -BeLike "*was not run for '$($g.Name)' (nothing was changed)*"
        }
        @($truth.Values | Where-Object { $_ -ne 'running' }) | Should -BeNullOrEmpty -Because 'nothing was changed'
        Assert-Reconnects
    }
}
