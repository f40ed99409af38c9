#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Guests at scale: list (with details), stop and start N guests of one host through a latency
    proxy, with KvmPS, an `ssh host virsh ...` loop, a `virsh -c qemu+ssh://...` loop and Ansible's
    community.libvirt.virt module, side by side in one run.

.DESCRIPTION
    Needs the lab (root on Linux). Runs its own lab (KVMLAB_ID 7 unless -LabId or $env:KVMLAB_ID
    says otherwise) with one host, defines N diskless 32 MiB TCG guests directly with virsh
    (SeaBIOS finds nothing to boot and idles), starts them, and puts the latency proxy of
    bench/KvmPS.Bench (`KvmPS.Bench proxy`) in front of the host's sshd. Every method reaches the
    host through that proxy, with the same key and a known_hosts holding the host's keys for
    [127.0.0.1]:<port>. Per one-way delay it measures the median wall time of:

      list  all guests with their details
            KvmPS     Get-KvmGuest -Session $s (session opened before timing); "cold" includes
                      Connect-KvmHost (the disconnect is not timed)
            ssh loop  ssh host virsh list --all --name, then per guest: ssh host virsh dominfo G,
                      ssh host virsh domblklist G, ssh host virsh domiflist G (3N+1 connections)
            qemu+ssh  the same virsh commands with -c 'qemu+ssh://root@127.0.0.1:<port>/system?...'
            Ansible   one playbook: community.libvirt.virt command=list_vms, then command=info
                      (info covers every guest in one task but has no disks or NICs)
      stop  all N, power off (virsh destroy)
            KvmPS     Get-KvmGuest -Session $s | Stop-KvmGuest -Force; and Stop-KvmGuest -Session
                      $s -Name 'prefix*' -Force (no pipeline: one inventory round trip less)
            ssh loop  ssh host virsh destroy G, per guest (names known beforehand)
            qemu+ssh  virsh -c qemu+ssh://... destroy G, per guest
            Ansible   community.libvirt.virt name={{item}} state=destroyed, loop over the guests
      start all N, the same with Start-KvmGuest / virsh start / state=running

    and, run inside the host without SSH (lab.sh exec, timed in the host with date +%s%N), the
    host's own time for the same work: one virsh process for all guests, one virsh process per
    command (what the loops make the host do), a virsh process per guest 16 at once (as
    Stop-/Start-KvmGuest run them), and KvmPS's inventory script.

    The lab is torn down at the end (lab.sh down with that KVMLAB_ID), also when the run fails,
    unless -KeepLab (then only the guests are removed).

    Round trips = (t_delay - t_0) / (2 * delay). The goal check uses the KvmPS rows with an open
    session: at 25 ms KvmPS >= 10x faster than the ssh loop, >= 20x faster than the qemu+ssh loop,
    and t_25 <= 2 RTT + the host's own virsh time (one virsh process).

    Run: dotnet pwsh bench/Guests.Bench.ps1 [-GuestCount 50] [-Delays 0,25] [-Iterations 3] [-SkipAnsible]

.PARAMETER SlowIterations
    Iterations of the ssh loop, the qemu+ssh loop and Ansible, and of the host-side stop/start
    cycles. Default: -Iterations at 0 ms (and for the host side) and 1 at the other delays (those
    loops take minutes there); the tables show the count per row.
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 500)][int]$GuestCount = 50,
    # One-way delays in ms. A string so that `pwsh -File ... -Delays 0,25` works: -File passes
    # "0,25" as one string, which [int[]] would read as 25 (the comma taken as a digit separator).
    [string[]]$Delays = @('0', '25'),
    [ValidateRange(1, 100)][int]$Iterations = 3,
    [ValidateRange(1, 100)][int]$SlowIterations,
    [switch]$SkipAnsible,
    # The bench's own lab instance (lab.sh KVMLAB_ID 1..9, never the default lab the tests use).
    [ValidatePattern('^[1-9]$')][string]$LabId = $(if ($env:KVMLAB_ID) { $env:KVMLAB_ID } else { '7' }),
    # Leave the lab up at the end (by default it is torn down, even when the run fails).
    [switch]$KeepLab,
    [string]$ModulePath,
    # The KvmPS.Bench executable; by default the project is built (Release) and its output used.
    [string]$BenchExe,
    [string]$Prefix = 'gbench-'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
[int[]]$delayList = @($Delays | ForEach-Object { $_ -split ',' } | Where-Object { $_.Trim() } | ForEach-Object { [int]::Parse($_.Trim(), [Globalization.CultureInfo]::InvariantCulture) })
if (-not $delayList) { throw '-Delays: no delay given' }
$hostSlow = if ($SlowIterations) { $SlowIterations } else { $Iterations }
$runClock = [Diagnostics.Stopwatch]::StartNew()
. (Join-Path $PSScriptRoot 'BenchLab.ps1')   # module, lab instance $LabId, tests/common.ps1, Get-Median
$labScript = Join-Path $repo 'tests/lab/lab.sh'

if (-not $BenchExe) {
    $project = Join-Path $PSScriptRoot 'KvmPS.Bench'
    $out = & dotnet build $project -c Release -nologo -v q 2>&1
    if ($LASTEXITCODE) { throw "dotnet build $project failed:`n$($out -join "`n")" }
    $BenchExe = Join-Path $project 'bin/Release/net10.0/KvmPS.Bench'
}

$work = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-guests-bench-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$null = New-Item -ItemType Directory $work
$proxy = $null
$labWasUp = $false
$results = [Collections.Generic.List[object]]::new()
$hostTimes = [ordered]@{}
$notes = [Collections.Generic.List[string]]::new()

function Send-Proxy([string]$Line) {
    $proxy.StandardInput.WriteLine($Line)
    $proxy.StandardInput.Flush()
    $answer = $proxy.StandardOutput.ReadLine()
    if ($null -eq $answer -or $answer.StartsWith('error')) { throw "proxy: '$Line' -> '$answer'" }
    $answer
}

function Add-Result([string]$Operation, [string]$Method, [int]$Delay, [double[]]$Times, [double[]]$Turns) {
    $results.Add([pscustomobject]@{
            Operation = $Operation; Method = $Method; Delay = $Delay; Count = $Times.Count
            Median = (Get-Median $Times); Turns = (Get-Median $Turns); Times = $Times
        })
    Write-Host ("  {0,-6} {1,-34} {2,3} ms: {3,10:0.0} ms median of {4} ({5})" -f $Operation, $Method, $Delay, (Get-Median $Times), $Times.Count,
        (($Times | ForEach-Object { $_.ToString('0') }) -join ', '))
}

# Times one run of an action; returns @(ms, turns seen by the proxy).
function Measure-Once([scriptblock]$Action) {
    $null = Send-Proxy 'reset'
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $null = & $Action
    $ms = $clock.Elapsed.TotalMilliseconds
    $turns = [double]((Send-Proxy 'turns') -split ' ')[1]
    , @($ms, $turns)
}

# Guests running on the host, counted without SSH.
function Get-RunningCount {
    @(Invoke-KvmLabCommand kvm1 virsh, list, --name | Where-Object { $_ -like "$Prefix*" }).Count
}

function Assert-Running([int]$Expected, [string]$After) {
    $n = Get-RunningCount
    if ($n -ne $Expected) { throw "after $After, $n guests run on the host (expected $Expected)" }
}

# A bash script run on this machine; throws on a non-zero exit.
function Invoke-Bash([string]$Script, [string[]]$Arguments = @()) {
    $out = & bash -c $Script bash @Arguments 2>&1
    if ($LASTEXITCODE) { throw "bash loop failed ($LASTEXITCODE): $(($out | Select-Object -Last 5) -join "`n")" }
}

# Runs a script inside the host (no SSH) that prints the microseconds its timed part took.
function Measure-InHost([string]$Script) {
    $lines = Invoke-KvmLabCommand kvm1 sh, -s -InputText $Script
    [double]($lines | Select-Object -Last 1) / 1000
}

function Invoke-Ansible([string]$Playbook) {
    # A fresh ControlPath dir per run: each playbook run opens its own SSH master (ControlPersist
    # would otherwise carry a connection from one timed run into the next).
    $cp = Join-Path $work ("cp-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory $cp
    $env:ANSIBLE_SSH_CONTROL_PATH_DIR = $cp
    try {
        $out = & ansible-playbook -i $inventory -e "@$varsFile" $Playbook 2>&1
        if ($LASTEXITCODE) { throw "ansible-playbook $Playbook failed ($LASTEXITCODE): $(($out | Select-Object -Last 15) -join "`n")" }
    }
    finally {
        foreach ($socket in Get-ChildItem $cp -ErrorAction SilentlyContinue) {
            & ssh -o "ControlPath=$($socket.FullName)" -O exit placeholder 2>&1 | Out-Null
        }
    }
}

try {
    # --- lab, guests, proxy ---------------------------------------------------------------
    & bash $labScript status *> $null
    $labWasUp = $LASTEXITCODE -eq 0
    if (-not $labWasUp) {
        Write-Host "Lab KVMLAB_ID=${LabId}: bringing up 1 host"
        $null = Start-KvmLab -HostCount 1
    }
    $lab = Get-KvmLab
    $address = $lab.hosts[0].address
    Clear-LabGuests -HostName kvm1 -Prefix $Prefix
    $clock = [Diagnostics.Stopwatch]::StartNew()
    New-LabGuests -HostName kvm1 -Prefix $Prefix -Count $GuestCount -Start
    Write-Host ("Defined and started {0} guests in {1:0.0} s" -f $GuestCount, $clock.Elapsed.TotalSeconds)
    Assert-Running $GuestCount 'defining the guests'
    $guestNames = @(1..$GuestCount | ForEach-Object { "$Prefix$_" })

    $psi = [Diagnostics.ProcessStartInfo]::new($BenchExe)
    foreach ($a in 'proxy', '--target', "${address}:22", '--delay', '0') { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.UseShellExecute = $false
    $proxy = [Diagnostics.Process]::Start($psi)
    $port = [int](($proxy.StandardOutput.ReadLine()) -split ' ')[1]

    $knownHosts = Join-Path $work 'known_hosts'
    Get-Content $lab.knownHosts | Where-Object { (($_ -split ' ')[0] -split ',') -contains $address } |
        ForEach-Object { "[127.0.0.1]:$port " + (($_ -split ' ', 2)[1]) } | Set-Content $knownHosts
    $key = $lab.keyFile
    $sshOptions = "-p $port -i '$key' -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile='$knownHosts' -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR -F /dev/null root@127.0.0.1"

    # libvirt's ssh transport runs the ssh binary with -p, -l, -i <keyfile> (and
    # StrictHostKeyChecking=no with no_verify=1); its known_hosts= and sshauth= parameters are
    # for the libssh/libssh2 transports only. So the known_hosts reaches OpenSSH through
    # command=, a wrapper that adds the same options as the ssh loop.
    $sshWrapper = Join-Path $work 'ssh-known-hosts'
    Set-Content $sshWrapper "#!/bin/sh`nexec /usr/bin/ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile='$knownHosts' -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR `"`$@`"`n"
    & chmod 755 $sshWrapper
    $uri = "qemu+ssh://root@127.0.0.1:$port/system?keyfile=$key&command=$sshWrapper"

    $ansible = -not $SkipAnsible
    if ($ansible -and -not (Get-Command ansible-playbook -ErrorAction SilentlyContinue)) {
        $notes.Add('Ansible skipped: ansible-playbook not found (apt-get install -y ansible python3-libvirt).')
        $ansible = $false
    }
    if ($ansible) {
        $inventory = Join-Path $work 'inventory.ini'
        Set-Content $inventory ("kvm1 ansible_host=127.0.0.1 ansible_port=$port ansible_user=root ansible_ssh_private_key_file=$key " +
            "ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='-F /dev/null -o UserKnownHostsFile=$knownHosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes'")
        $varsFile = Join-Path $work 'vars.json'
        @{ guests = $guestNames } | ConvertTo-Json | Set-Content $varsFile
        $playbooks = @{
            list  = "- hosts: all`n  gather_facts: false`n  tasks:`n    - community.libvirt.virt: { command: list_vms }`n    - community.libvirt.virt: { command: info }`n"
            stop  = "- hosts: all`n  gather_facts: false`n  tasks:`n    - community.libvirt.virt: { name: '{{ item }}', state: destroyed }`n      loop: '{{ guests }}'`n"
            start = "- hosts: all`n  gather_facts: false`n  tasks:`n    - community.libvirt.virt: { name: '{{ item }}', state: running }`n      loop: '{{ guests }}'`n"
        }
        foreach ($k in @($playbooks.Keys)) {
            $path = Join-Path $work "$k.yml"
            Set-Content $path $playbooks[$k]
            $playbooks[$k] = $path
        }
        $env:ANSIBLE_HOST_KEY_CHECKING = 'True'
        $env:ANSIBLE_NOCOLOR = '1'
        $env:ANSIBLE_LOCAL_TEMP = Join-Path $work 'ansible-local'
        # A check that it works at all, untimed: python3-libvirt must import on the host.
        Invoke-Ansible $playbooks.list
    }

    # The loops, as an admin would write them in bash.
    $sshListLoop = @"
n=0
for g in `$(ssh $sshOptions virsh list --all --name); do
    ssh $sshOptions virsh dominfo "`$g" >/dev/null || exit 1
    ssh $sshOptions virsh domblklist "`$g" >/dev/null || exit 1
    ssh $sshOptions virsh domiflist "`$g" >/dev/null || exit 1
    n=`$((n + 1))
done
[ "`$n" -eq $GuestCount ] || { echo "listed `$n guests" >&2; exit 1; }
"@
    $sshActionLoop = "for g in $($guestNames -join ' '); do ssh $sshOptions virsh `"`$1`" `"`$g`" >/dev/null || exit 1; done"
    $virshListLoop = @"
n=0
for g in `$(virsh -c '$uri' list --all --name); do
    virsh -c '$uri' dominfo "`$g" >/dev/null || exit 1
    virsh -c '$uri' domblklist "`$g" >/dev/null || exit 1
    virsh -c '$uri' domiflist "`$g" >/dev/null || exit 1
    n=`$((n + 1))
done
[ "`$n" -eq $GuestCount ] || { echo "listed `$n guests" >&2; exit 1; }
"@
    $virshActionLoop = "for g in $($guestNames -join ' '); do virsh -c '$uri' `"`$1`" `"`$g`" >/dev/null || exit 1; done"

    # The host's own time (no SSH), timed inside the host.
    $timed = 's=$(date +%s%N)' + "`n{0}`n" + 'e=$(date +%s%N); echo $(( (e - s) / 1000 ))'
    $hostListOne = $timed -f 'b=; for g in $(virsh -c qemu:///system list --all --name); do b="$b dominfo $g; domblklist $g; domiflist $g;"; done; virsh -c qemu:///system "$b" >/dev/null || exit 1'
    $hostListEach = $timed -f 'for g in $(virsh list --all --name); do virsh dominfo "$g" >/dev/null && virsh domblklist "$g" >/dev/null && virsh domiflist "$g" >/dev/null || exit 1; done'
    $inventoryScript = $(
        $asm = (Get-Module KvmPS).ImplementingAssembly
        if (-not $asm) { $asm = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'KvmPS' } | Select-Object -First 1 }
        $asm.GetType('KvmPS.Transport.EmbeddedScripts', $true).GetMethod('Read').Invoke($null, @('guest-inventory.sh'))
    )
    $hostInventory = $timed -f "( $inventoryScript`n) >/dev/null"
    $hostActionOne = { param($verb, $list) $timed -f ('b=; for g in $(virsh -c qemu:///system ' + $list + '); do b="$b ' + $verb + ' $g;"; done; virsh -c qemu:///system "$b" >/dev/null || exit 1') }
    $hostActionEach = { param($verb, $list) $timed -f ('for g in $(virsh -c qemu:///system ' + $list + '); do virsh -c qemu:///system ' + $verb + ' "$g" >/dev/null || exit 1; done') }
    # As many at once as KvmPS runs (KvmGuestActionCmdlet.GuestsAtOnce).
    $GuestsAtOnce = 16
    $hostActionParallel = { param($verb, $list) $timed -f ('virsh -c qemu:///system ' + $list + ' | grep . | xargs -P ' + $GuestsAtOnce + ' -I{} virsh -c qemu:///system ' + $verb + ' {} >/dev/null || exit 1') }

    $s = Connect-KvmHost -ComputerName "root@127.0.0.1:$port" -KeyFilePath $key -KnownHostsPath $knownHosts
    $machine = "$([Environment]::ProcessorCount) CPUs, $([Runtime.InteropServices.RuntimeInformation]::OSDescription), load average $(((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' ')"
    Write-Host "Guests benchmark: $GuestCount guests on lab host $address (KVMLAB_ID=$LabId) behind the latency proxy on 127.0.0.1:$port; $machine"

    # Host side, once (it does not depend on the delay): list, then stop/start cycles with one
    # virsh process, with a virsh process per guest, and with a virsh per guest 16 at a time.
    Write-Host "Host side (no SSH), $Iterations iterations of list, $hostSlow of stop/start"
    $h = [ordered]@{ listOne = @(); listEach = @(); invRunning = @(); invOff = @(); stopOne = @(); startOne = @(); stopEach = @(); startEach = @(); stopPar = @(); startPar = @() }
    foreach ($i in 1..$Iterations) {
        $h.listOne += Measure-InHost $hostListOne
        $h.listEach += Measure-InHost $hostListEach
        $h.invRunning += Measure-InHost $hostInventory
    }
    foreach ($i in 1..$hostSlow) {
        $h.stopOne += Measure-InHost (& $hostActionOne 'destroy' 'list --name')
        $h.invOff += Measure-InHost $hostInventory
        $h.startOne += Measure-InHost (& $hostActionOne 'start' 'list --inactive --name')
        $h.stopEach += Measure-InHost (& $hostActionEach 'destroy' 'list --name')
        $h.startEach += Measure-InHost (& $hostActionEach 'start' 'list --inactive --name')
        $h.stopPar += Measure-InHost (& $hostActionParallel 'destroy' 'list --name')
        $h.startPar += Measure-InHost (& $hostActionParallel 'start' 'list --inactive --name')
        Assert-Running $GuestCount 'the host-side runs'
    }
    foreach ($k in $h.Keys) {
        $hostTimes[$k] = Get-Median $h[$k]
        Write-Host ("  host {0,-10} {1,10:0.0} ms median of {2} ({3})" -f $k, $hostTimes[$k], $h[$k].Count, (($h[$k] | ForEach-Object { $_.ToString('0') }) -join ', '))
    }

    foreach ($delay in $delayList) {
        $null = Send-Proxy "delay $delay"
        $slow = if ($SlowIterations) { $SlowIterations } elseif ($delay -eq 0) { $Iterations } else { 1 }
        Write-Host "One-way delay $delay ms ($Iterations iterations for KvmPS, $slow for the loops and Ansible)"
        Assert-Running $GuestCount 'the previous delay'

        # KvmPS: list on the open session, and cold (connect included).
        $null = Get-KvmGuest -Session $s   # warm-up
        $t = @(); $n = @()
        foreach ($i in 1..$Iterations) {
            $m = Measure-Once { $g = @(Get-KvmGuest -Session $s); if ($g.Count -ne $GuestCount) { throw "Get-KvmGuest returned $($g.Count) guests" } }
            $t += $m[0]; $n += $m[1]
        }
        Add-Result 'list' 'KvmPS' $delay $t $n
        $t = @(); $n = @()
        foreach ($i in 0..$Iterations) {   # 0: warm-up (the first cold connect of a process JITs more)
            $m = Measure-Once {
                $script:c = Connect-KvmHost -ComputerName "root@127.0.0.1:$port" -KeyFilePath $key -KnownHostsPath $knownHosts
                $g = @(Get-KvmGuest -Session $script:c); if ($g.Count -ne $GuestCount) { throw "Get-KvmGuest returned $($g.Count) guests" }
            }
            Disconnect-KvmHost -Session $script:c
            if ($i -gt 0) { $t += $m[0]; $n += $m[1] }
        }
        Add-Result 'list' 'KvmPS cold (Connect-KvmHost + Get)' $delay $t $n

        # KvmPS: stop/start, through the pipeline and by name.
        $ts = @(); $ns = @(); $tr = @(); $nr = @(); $tsn = @(); $nsn = @(); $trn = @(); $nrn = @()
        foreach ($i in 1..$Iterations) {
            $m = Measure-Once { Get-KvmGuest -Session $s | Stop-KvmGuest -Force -ErrorAction Stop }; $ts += $m[0]; $ns += $m[1]
            Assert-Running 0 'KvmPS stop'
            $m = Measure-Once { Get-KvmGuest -Session $s | Start-KvmGuest -ErrorAction Stop }; $tr += $m[0]; $nr += $m[1]
            Assert-Running $GuestCount 'KvmPS start'
            $m = Measure-Once { Stop-KvmGuest -Session $s -Name "$Prefix*" -Force -ErrorAction Stop }; $tsn += $m[0]; $nsn += $m[1]
            Assert-Running 0 'KvmPS stop -Name'
            $m = Measure-Once { Start-KvmGuest -Session $s -Name "$Prefix*" -ErrorAction Stop }; $trn += $m[0]; $nrn += $m[1]
            Assert-Running $GuestCount 'KvmPS start -Name'
        }
        Add-Result 'stop' 'KvmPS' $delay $ts $ns
        Add-Result 'start' 'KvmPS' $delay $tr $nr
        Add-Result 'stop' 'KvmPS -Name (no pipeline)' $delay $tsn $nsn
        Add-Result 'start' 'KvmPS -Name (no pipeline)' $delay $trn $nrn

        # The loops and Ansible.
        $loops = [ordered]@{
            'ssh loop'      = @{ list = { Invoke-Bash $sshListLoop }; stop = { Invoke-Bash $sshActionLoop 'destroy' }; start = { Invoke-Bash $sshActionLoop 'start' } }
            'qemu+ssh loop' = @{ list = { Invoke-Bash $virshListLoop }; stop = { Invoke-Bash $virshActionLoop 'destroy' }; start = { Invoke-Bash $virshActionLoop 'start' } }
        }
        if ($ansible) {
            $loops['Ansible'] = @{ list = { Invoke-Ansible $playbooks.list }; stop = { Invoke-Ansible $playbooks.stop }; start = { Invoke-Ansible $playbooks.start } }
        }
        foreach ($method in $loops.Keys) {
            $ops = $loops[$method]
            $tl = @(); $nl = @(); $ts = @(); $ns = @(); $tr = @(); $nr = @()
            foreach ($i in 1..$slow) {
                $m = Measure-Once $ops.list; $tl += $m[0]; $nl += $m[1]
                $m = Measure-Once $ops.stop; $ts += $m[0]; $ns += $m[1]
                Assert-Running 0 "$method stop"
                $m = Measure-Once $ops.start; $tr += $m[0]; $nr += $m[1]
                Assert-Running $GuestCount "$method start"
            }
            Add-Result 'list' $method $delay $tl $nl
            Add-Result 'stop' $method $delay $ts $ns
            Add-Result 'start' $method $delay $tr $nr
        }
    }
    Disconnect-KvmHost -Session $s

    # --- report -----------------------------------------------------------------------------
    $find = { param($op, $method, $d) $results | Where-Object { $_.Operation -eq $op -and $_.Method -eq $method -and $_.Delay -eq $d } | Select-Object -First 1 }
    $zero = $delayList | Where-Object { $_ -eq 0 } | Select-Object -First 1
    ''
    "## Guests benchmark: $GuestCount guests, one lab host behind the latency proxy"
    ''
    "Machine: $machine (at the start; at the end: $(((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' ')). Run took {0:0.0} min." -f $runClock.Elapsed.TotalMinutes
    ''
    'Round trips = (median at this delay - median at 0 ms) / (2 x delay). "x KvmPS" = this median / KvmPS (open session) median, same operation and delay. Turns = client-then-server turns the proxy saw (median).'
    ''
    '| operation | method | one-way delay | runs | median ms | round trips | turns | x KvmPS |'
    '|---|---|---:|---:|---:|---:|---:|---:|'
    foreach ($op in 'list', 'stop', 'start') {
        foreach ($delay in $delayList) {
            $kvmps = & $find $op 'KvmPS' $delay
            foreach ($r in $results | Where-Object { $_.Operation -eq $op -and $_.Delay -eq $delay }) {
                $rtt = '-'
                if ($delay -ne 0 -and $null -ne $zero) {
                    $base = & $find $op $r.Method 0
                    if ($base) { $rtt = (($r.Median - $base.Median) / (2 * $delay)).ToString('0.0') }
                }
                '| {0} | {1} | {2} ms | {3} | {4:0.0} | {5} | {6:0} | {7:0.0}x |' -f $op, $r.Method, $delay, $r.Count, $r.Median, $rtt, $r.Turns, ($r.Median / $kvmps.Median)
            }
        }
    }
    ''
    "Host's own time for the same work, inside the host without SSH (lab.sh exec, timed with date +%s%N in the host; median of $Iterations for list, $hostSlow for stop/start; ms):"
    ''
    '| operation | 1 virsh process for all guests | a virsh process per command (what the loops make the host run) | virsh per guest, {0} at once (as KvmPS) | KvmPS inventory script (guest-inventory.sh) |' -f $GuestsAtOnce
    '|---|---:|---:|---:|---:|'
    '| list | {0:0} | {1:0} | - | {2:0} (guests running), {3:0} (shut off) |' -f $hostTimes.listOne, $hostTimes.listEach, $hostTimes.invRunning, $hostTimes.invOff
    '| stop (destroy) | {0:0} | {1:0} | {2:0} | - |' -f $hostTimes.stopOne, $hostTimes.stopEach, $hostTimes.stopPar
    '| start | {0:0} | {1:0} | {2:0} | - |' -f $hostTimes.startOne, $hostTimes.startEach, $hostTimes.startPar
    ''
    $goal = $delayList | Where-Object { $_ -eq 25 } | Select-Object -First 1
    if ($null -eq $goal) { $goal = $delayList | Measure-Object -Maximum | ForEach-Object Maximum }
    if ($goal -gt 0) {
        "Goal check at $goal ms one-way (RTT $(2 * $goal) ms):"
        ''
        # The goal's host time is one virsh process doing all the work; the second is the floor
        # of the way KvmPS does it (its inventory script; 16 virsh processes at once).
        $hostKey = @{
            list  = @(@('listOne', 'host virsh, 1 process'), @('invRunning', 'host inventory script'))
            stop  = @(@('stopOne', 'host virsh, 1 process'), @('stopPar', "host virsh, $GuestsAtOnce at once"))
            start = @(@('startOne', 'host virsh, 1 process'), @('startPar', "host virsh, $GuestsAtOnce at once"))
        }
        foreach ($op in 'list', 'stop', 'start') {
            $k = & $find $op 'KvmPS' $goal
            foreach ($other in @(@('ssh loop', 10), @('qemu+ssh loop', 20))) {
                $o = & $find $op $other[0] $goal
                if ($o) {
                    $ratio = $o.Median / $k.Median
                    '- {0}: {1} / KvmPS = {2:0.0}x (goal >= {3}x): {4}' -f $op, $other[0], $ratio, $other[1], $(if ($ratio -ge $other[1]) { 'met' } else { 'NOT met' })
                }
            }
            foreach ($variant in 'KvmPS', 'KvmPS -Name (no pipeline)') {
                $v = & $find $op $variant $goal
                if (-not $v) { continue }
                $rt = '-'
                $z = & $find $op $variant 0
                if ($z) { $rt = (($v.Median - $z.Median) / (2 * $goal)).ToString('0.0') }
                $first = $true
                foreach ($hk in $hostKey[$op]) {
                    $hostMs = $hostTimes[$hk[0]]
                    $budget = 2 * 2 * $goal + $hostMs
                    $verdict = if ($v.Median -le $budget) { 'met' } else { 'NOT met' }
                    if (-not $first) { $verdict = "($verdict; for comparison, not the goal's definition)" }
                    '- {0}: {1} t_{2} = {3:0} ms; round trips {4}; 2 RTT + {5} ({6:0} ms) = {7:0} ms; t_{2} - that = {8:+0;-0} ms: {9}' -f $op, $variant, $goal, $v.Median, $rt, $hk[1], $hostMs, $budget, ($v.Median - $budget), $verdict
                    $first = $false
                }
            }
        }
    }
    foreach ($delay in $delayList) {
        $slow = if ($SlowIterations) { $SlowIterations } elseif ($delay -eq 0) { $Iterations } else { 1 }
        if ($slow -lt $Iterations) { "- At $delay ms the ssh loop, the qemu+ssh loop and Ansible ran $slow time(s) (they take minutes); KvmPS $Iterations times." }
    }
    if ($hostSlow -lt $Iterations) { "- The host-side stop/start cycles ran $hostSlow time(s), host-side list $Iterations times." }
    $notes | ForEach-Object { "- $_" }
}
finally {
    if ($proxy) {
        try { $proxy.StandardInput.Close() } catch { }
        if (-not $proxy.WaitForExit(10000)) { $proxy.Kill() }
    }
    Get-KvmSession | Where-Object ComputerName -like '127.0.0.1*' | Disconnect-KvmHost -ErrorAction SilentlyContinue
    if ($KeepLab) {
        try { Clear-LabGuests -HostName kvm1 -Prefix $Prefix } catch { Write-Warning "Could not remove the guests: $_" }
    }
    else {
        # The bench's own lab: down (guests included), whether it was up before or not.
        & bash $labScript down *> $null
        if ($LASTEXITCODE) { Write-Warning "lab.sh down (KVMLAB_ID=$LabId) exited with $LASTEXITCODE" }
    }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    Remove-Item Env:ANSIBLE_SSH_CONTROL_PATH_DIR, Env:ANSIBLE_HOST_KEY_CHECKING, Env:ANSIBLE_NOCOLOR, Env:ANSIBLE_LOCAL_TEMP -ErrorAction SilentlyContinue
    $env:KVMLAB_ID = $savedLabId
}
