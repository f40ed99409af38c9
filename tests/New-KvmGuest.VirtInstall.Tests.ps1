<#
New-KvmGuest against `virt-install --print-xml --dry-run` (Debian package virtinst) on the same lab
host, for five representative requests:

  blank   a new blank qcow2 disk + the default network   virt-install --import --disk size=.. --network network=default
  thin    a thin clone of a base image + default network  virt-install --import --disk size=..,backing_store=BASE --network network=default
  iso     an installation ISO + a new disk + default net  virt-install --cdrom ISO --disk size=.. --network network=default
  nics    two NICs, network default + a Linux bridge,     virt-install --import --disk size=.. --network network=default,mac=M1
          with fixed MACs                                   --network bridge=BR,mac=M2 --check mac_in_use=off
  kernel  direct kernel boot of the lab's tiny guest,     virt-install --boot kernel=..,initrd=..,kernel_args=.. --disk none
          -Graphics None, no -Network                       --graphics none

Every virt-install call also gets `--virt-type qemu` (the lab has no usable KVM, and KvmPS picks
TCG there too), `--osinfo linux2022` (a current Linux: without it virt-install knows nothing of the
OS and falls back to legacy devices, see the 'generic' test), `--memory 64 --vcpus 1` (the request's
size; linux2022 would otherwise get osinfo's 2 vCPUs) and `--print-xml --dry-run` (no storage is
made). `--check mac_in_use=off` because the KvmPS guest of the same request already owns those MACs.

Both sides are read the same way: the KvmPS guest is created without -Start and read with
`virsh dumpxml --inactive`; virt-install's XML is defined under its own name (nothing is started) and
read back the same way, so libvirt fills in the same implicit devices (serial for a console, PS/2
input, SATA and virtio-serial controllers, machine type) on both sides before they are compared.
For -IsoPath, virt-install prints two documents (install phase, then the installed guest): the first
is defined and compared, the second is read as printed.

What agrees, what differs on purpose, and what this comparison found and the product fixed: see
docs/virt-install-comparison.md (each row is asserted below).
#>

BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
    if (-not $LabSkip -and -not (Get-Command virt-install -CommandType Application -ErrorAction SilentlyContinue)) {
        # Lab hosts see the machine's /usr: virt-install there is virt-install here.
        $script:LabSkip = 'virt-install (Debian package virtinst) is not installed'
        Write-Warning "Tests in $(Split-Path $PSCommandPath -Leaf) are SKIPPED: $LabSkip"
    }
    $script:Cases = @(
        @{ Case = 'blank' }, @{ Case = 'thin' }, @{ Case = 'iso' }, @{ Case = 'nics' }, @{ Case = 'kernel' }
    )
    $script:GraphicalCases = @(@{ Case = 'blank' }, @{ Case = 'thin' }, @{ Case = 'iso' }, @{ Case = 'nics' })
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'New-KvmGuest against virt-install --print-xml' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'vi'
        $script:Images = '/var/lib/libvirt/images'
        $script:Tiny = Initialize-TinyGuest
        $script:Macs = '52:54:00:76:69:01', '52:54:00:76:69:02'
        Invoke-KvmLabCommand kvm1 virsh, net-start, default -IgnoreExitCode | Out-Null
        # Fixtures on the host: a base image, an installation ISO, a bridge.
        Invoke-KvmLabCommand kvm1 'sh', '-c', "mkdir -p /srv/kvmps && qemu-img create -f qcow2 /srv/kvmps/${P}base.qcow2 24M >/dev/null && d=`$(mktemp -d) && echo hi > `$d/readme && genisoimage -quiet -o /srv/kvmps/${P}install.iso `$d && rm -rf `$d && (ip link show ${P}br >/dev/null 2>&1 || ip link add ${P}br type bridge) && ip link set ${P}br up" | Out-Null

        # Every request, both ways: New-KvmGuest parameters and virt-install arguments.
        $requests = [ordered]@{
            blank  = @{ Ps = @{ DiskSizeBytes = 32MB; Network = 'default' }
                        Vi = '--import', '--disk', 'size=0.03', '--network', 'network=default' }
            thin   = @{ Ps = @{ BaseImage = "/srv/kvmps/${P}base.qcow2"; Network = 'default' }
                        Vi = '--import', '--disk', "size=0.03,backing_store=/srv/kvmps/${P}base.qcow2", '--network', 'network=default' }
            iso    = @{ Ps = @{ DiskSizeBytes = 32MB; IsoPath = "/srv/kvmps/${P}install.iso"; Network = 'default' }
                        Vi = '--cdrom', "/srv/kvmps/${P}install.iso", '--disk', 'size=0.03', '--network', 'network=default' }
            nics   = @{ Ps = @{ DiskSizeBytes = 32MB; Network = 'default'; Bridge = "${P}br"; MacAddress = $Macs }
                        Vi = '--import', '--disk', 'size=0.03', '--network', "network=default,mac=$($Macs[0])", '--network', "bridge=${P}br,mac=$($Macs[1])", '--check', 'mac_in_use=off' }
            kernel = @{ Ps = @{ KernelPath = $Tiny.Kernel; InitrdPath = $Tiny.Initrd; KernelArguments = $Tiny.Cmdline; Graphics = 'None' }
                        Vi = '--boot', "kernel=$($Tiny.Kernel),initrd=$($Tiny.Initrd),kernel_args=$($Tiny.Cmdline)", '--disk', 'none', '--graphics', 'none' }
        }

        # virt-install's documents (one per install phase), as printed.
        function script:Invoke-VirtInstall([string]$Name, [string[]]$Arguments, [string]$VirtType = 'qemu', [string]$OsInfo = 'linux2022') {
            $argv = @('virt-install', '--connect', 'qemu:///system', '--name', $Name, '--memory', '64', '--vcpus', '1', '--osinfo', $OsInfo, '--print-xml', '--dry-run')
            if ($VirtType) { $argv += '--virt-type', $VirtType }
            $r = Invoke-KvmLabCommand kvm1 ($argv + $Arguments) -PassThru
            if ($r.ExitCode -ne 0) { throw "virt-install $($Arguments -join ' ') failed ($($r.ExitCode)): $($r.StdErr)" }
            # One string per document (the comma keeps a single one an array).
            , [string[]]@([regex]::Matches($r.StdOut, '(?s)<domain\b.*?</domain>') | ForEach-Object Value)
        }
        function script:Get-InactiveXml([string]$Name) { [xml]((Invoke-KvmLabCommand kvm1 virsh, dumpxml, --inactive, $Name) -join "`n") }
        function script:Register-Xml([string]$Xml) { Invoke-KvmLabCommand kvm1 virsh, define, /dev/stdin -InputText $Xml | Out-Null }

        # What the comparison looks at, as strings ('; ' between devices) so that a failure shows both sides.
        function script:Get-DomainProfile([xml]$Xml) {
            $d = $Xml.DocumentElement
            $name = $d.SelectSingleNode('name').InnerText
            function All([string]$XPath, [scriptblock]$Map) { (@($d.SelectNodes($XPath)) | ForEach-Object $Map) -join '; ' }
            # get_InnerText(): PowerShell's XML adapter hides InnerText on attributes.
            function A($Node, [string]$XPath) { $n = $Node.SelectSingleNode($XPath); if ($n) { $n.get_InnerText() } else { '' } }
            $os = $d.SelectSingleNode('os')
            $machine = A $os 'type/@machine'
            $cpu = $d.SelectSingleNode('cpu')
            $rootPorts = @($d.SelectNodes("devices/controller[@type='pci'][@model='pcie-root-port']") | ForEach-Object { [int]$_.GetAttribute('index') })
            $usedBuses = @($d.SelectNodes("devices/*/address[@type='pci']") | ForEach-Object { [Convert]::ToInt32($_.GetAttribute('bus'), 16) })
            [pscustomobject]@{
                Name          = $name
                DomainType    = $d.GetAttribute('type')
                Machine       = if ($machine -match 'q35') { 'q35' } elseif ($machine -match '^pc') { 'pc' } else { $machine }
                Firmware      = if ((A $os '@firmware') -eq 'efi' -or $os.SelectSingleNode('loader')) { 'UEFI' } else { 'BIOS' }
                Cpu           = if (-not $cpu) { 'none' } elseif ($cpu.GetAttribute('mode') -eq 'custom') { 'custom:' + (A $cpu 'model') } else { $cpu.GetAttribute('mode') }
                Boot          = All 'os/boot' { $_.GetAttribute('dev') }
                Kernel        = (A $os 'kernel'), (A $os 'initrd'), (A $os 'cmdline') -join ' | '
                Disks         = All 'devices/disk' { '{0}/{1}/{2}/{3}/{4}/{5}/{6}' -f $_.GetAttribute('device'), (A $_ 'target/@bus'), (A $_ 'driver/@type'), (A $_ 'target/@dev'), ((A $_ 'source/@file') -replace [regex]::Escape($name), '<name>'), $(if ($_.SelectSingleNode('readonly')) { 'ro' } else { 'rw' }), (A $_ 'driver/@discard') }
                BackingStores = @($d.SelectNodes('devices/disk/backingStore[source]')).Count
                Nics          = All 'devices/interface' { '{0}/{1}/{2}' -f $_.GetAttribute('type'), ((A $_ 'source/@network') + (A $_ 'source/@bridge')), (A $_ 'model/@type') }
                Macs          = @($d.SelectNodes('devices/interface/mac/@address') | ForEach-Object Value)
                Serials       = All 'devices/serial' { '{0}/{1}' -f $_.GetAttribute('type'), (A $_ 'target/@type') }
                Consoles      = All 'devices/console' { '{0}/{1}' -f $_.GetAttribute('type'), (A $_ 'target/@type') }
                Channels      = All 'devices/channel' { '{0}/{1}' -f $_.GetAttribute('type'), (A $_ 'target/@name') }
                Graphics      = All 'devices/graphics' { '{0}/listen={1}' -f $_.GetAttribute('type'), $(if ($_.GetAttribute('listen')) { $_.GetAttribute('listen') } else { A $_ "listen[@type='address']/@address" }) }
                Video         = All 'devices/video' { A $_ 'model/@type' }
                Inputs        = All 'devices/input' { '{0}/{1}' -f $_.GetAttribute('type'), $_.GetAttribute('bus') }
                Rng           = All 'devices/rng' { '{0}/{1}:{2}' -f $_.GetAttribute('model'), (A $_ 'backend/@model'), (A $_ 'backend') }
                Memballoon    = All 'devices/memballoon' { $_.GetAttribute('model') }
                Tpm           = All 'devices/tpm' { $_.GetAttribute('model') }
                Sound         = All 'devices/sound' { $_.GetAttribute('model') }
                Redirdev      = All 'devices/redirdev' { '{0}/{1}' -f $_.GetAttribute('bus'), $_.GetAttribute('type') }
                UsbController = All "devices/controller[@type='usb']" { $_.GetAttribute('model') }
                Vmport        = A $d 'features/vmport/@state'
                OnReboot      = A $d 'on_reboot'
                RootPorts     = $rootPorts.Count
                FreeRootPorts = @($rootPorts | Where-Object { $_ -notin $usedBuses }).Count
            }
        }

        $script:Ps = @{}; $script:Vi = @{}; $script:ViPrinted = @{}
        foreach ($case in $requests.Keys) {
            $psName = "${P}ps-$case"; $viName = "${P}vi-$case"
            $parameters = $requests[$case].Ps
            New-KvmGuest -Session $S -Name $psName -MemoryBytes 64MB -WarningAction SilentlyContinue -ErrorAction Stop @parameters
            $Ps[$case] = Get-DomainProfile (Get-InactiveXml $psName)
            $printed = Invoke-VirtInstall $viName $requests[$case].Vi
            $ViPrinted[$case] = $printed
            Register-Xml $printed[0]
            $Vi[$case] = Get-DomainProfile (Get-InactiveXml $viName)
        }
        # A variant of 'blank' with KvmPS's other display, to set against virt-install's default SPICE.
        $blank = $requests.blank.Ps
        New-KvmGuest -Session $S -Name "${P}ps-spice" -MemoryBytes 64MB -Graphics Spice -WarningAction SilentlyContinue -ErrorAction Stop @blank
        $script:PsSpice = Get-DomainProfile (Get-InactiveXml "${P}ps-spice")
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
        Invoke-KvmLabCommand kvm1 'sh', '-c', "rm -rf /srv/kvmps/$P*; ip link del ${P}br 2>/dev/null; true" | Out-Null
    }

    Context 'where both agree' {
        It '<Case>: domain type, machine family and firmware (qemu, q35, BIOS)' -ForEach $Cases {
            $Ps[$Case].DomainType | Should -Be $Vi[$Case].DomainType
            $Ps[$Case].Machine | Should -Be $Vi[$Case].Machine
            $Ps[$Case].Firmware | Should -Be $Vi[$Case].Firmware
            "$($Ps[$Case].DomainType) $($Ps[$Case].Machine) $($Ps[$Case].Firmware)" | Should -Be 'qemu q35 BIOS'
        }

        It '<Case>: each disk''s device, bus, format, target, source, read-only and discard' -ForEach $Cases {
            $Ps[$Case].Disks | Should -Be $Vi[$Case].Disks
            $expected = @{
                blank  = "disk/virtio/qcow2/vda/$Images/<name>.qcow2/rw/unmap"
                thin   = "disk/virtio/qcow2/vda/$Images/<name>.qcow2/rw/unmap"
                iso    = "disk/virtio/qcow2/vda/$Images/<name>.qcow2/rw/unmap; cdrom/sata/raw/sda//srv/kvmps/${P}install.iso/ro/"
                nics   = "disk/virtio/qcow2/vda/$Images/<name>.qcow2/rw/unmap"
                kernel = ''
            }[$Case]
            $Ps[$Case].Disks | Should -Be $expected
        }

        It '<Case>: boot order (and the kernel, initrd and command line)' -ForEach $Cases {
            # iso differs on purpose (below): the disk first, the installer after it.
            if ($Case -ne 'iso') { $Ps[$Case].Boot | Should -Be $Vi[$Case].Boot }
            $Ps[$Case].Kernel | Should -Be $Vi[$Case].Kernel
            $Ps[$Case].Boot | Should -Be $(if ($Case -eq 'iso') { 'hd; cdrom' } else { 'hd' })
            if ($Case -eq 'kernel') { $Ps[$Case].Kernel | Should -Be "$($Tiny.Kernel) | $($Tiny.Initrd) | $($Tiny.Cmdline)" }
        }

        It '<Case>: each NIC''s type, source, model and MAC' -ForEach $GraphicalCases {
            $Ps[$Case].Nics | Should -Be $Vi[$Case].Nics
            if ($Case -eq 'nics') {
                $Ps[$Case].Nics | Should -Be "network/default/virtio; bridge/${P}br/virtio"
                $Ps[$Case].Macs | Should -Be $Macs
                $Vi[$Case].Macs | Should -Be $Macs
            }
            else {
                $Ps[$Case].Nics | Should -Be 'network/default/virtio'
                # Not asked for: libvirt's prefix on both sides (virt-install draws its own, KvmPS lets libvirt).
                $Ps[$Case].Macs | Should -Match '^52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$'
                $Vi[$Case].Macs | Should -Match '^52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$'
            }
        }

        It '<Case>: a serial port and a console on a pty' -ForEach $Cases {
            $Ps[$Case].Serials | Should -Be $Vi[$Case].Serials
            $Ps[$Case].Consoles | Should -Be $Vi[$Case].Consoles
            $Ps[$Case].Serials | Should -Be 'pty/isa-serial'
            $Ps[$Case].Consoles | Should -Be 'pty/serial'
            # virt-install prints only <console type="pty"/>: libvirt adds the serial port it stands on.
            $ViPrinted[$Case][0] | Should -Not -Match '<serial'
        }

        It '<Case>: the qemu-guest-agent channel' -ForEach $Cases {
            ($Ps[$Case].Channels -split '; ') | Should -Contain 'unix/org.qemu.guest_agent.0'
            ($Vi[$Case].Channels -split '; ') | Should -Contain 'unix/org.qemu.guest_agent.0'
        }

        It '<Case>: video, input, rng, memballoon, TPM and USB controller' -ForEach $Cases {
            foreach ($p in 'Video', 'Inputs', 'Rng', 'Memballoon', 'Tpm', 'UsbController') {
                $Ps[$Case].$p | Should -Be $Vi[$Case].$p -Because "$p should agree"
            }
            $Ps[$Case].Rng | Should -Be 'virtio/random:/dev/urandom'
            $Ps[$Case].Memballoon | Should -Be 'virtio'
            $Ps[$Case].Tpm | Should -Be ''
            $Ps[$Case].UsbController | Should -Be 'qemu-xhci'
            if ($Case -eq 'kernel') {
                $Ps[$Case].Video | Should -Be ''
                $Ps[$Case].Inputs | Should -Be 'mouse/ps2; keyboard/ps2'
            }
            else {
                $Ps[$Case].Video | Should -Be 'virtio'
                $Ps[$Case].Inputs | Should -Be 'tablet/usb; mouse/ps2; keyboard/ps2'
            }
        }

        It 'kernel: no display, no SPICE channel, no sound with graphics none' {
            foreach ($p in 'Graphics', 'Channels', 'Sound', 'Redirdev', 'Vmport') {
                $Ps.kernel.$p | Should -Be $Vi.kernel.$p -Because "$p should agree"
            }
            $Ps.kernel.Graphics | Should -Be ''
            $Ps.kernel.Channels | Should -Be 'unix/org.qemu.guest_agent.0'
        }

        It 'thin: the domain XML names only the overlay on both sides (the backing file is in the image)' {
            $Ps.thin.BackingStores | Should -Be 0
            $Vi.thin.BackingStores | Should -Be 0
            $ViPrinted.thin[0] | Should -Not -Match 'backingStore|base\.qcow2'
            $info = (Invoke-KvmLabCommand kvm1 qemu-img, info, -U, "$Images/${P}ps-thin.qcow2") -join "`n"
            $info | Should -Match "backing file: /srv/kvmps/${P}base\.qcow2"
            $info | Should -Match 'backing file format: qcow2'
        }

        It 'blank: with --graphics vnc,listen=127.0.0.1 virt-install differs only in CPU mode' {
            $viName = "${P}vi-vnc"
            $printed = Invoke-VirtInstall $viName '--import', '--disk', 'size=0.03', '--network', 'network=default', '--graphics', 'vnc,listen=127.0.0.1'
            Register-Xml $printed[0]
            $vnc = Get-DomainProfile (Get-InactiveXml $viName)
            $different = @($Ps.blank.PSObject.Properties.Name | Where-Object { $_ -notin 'Name', 'Macs' } |
                    Where-Object { "$($Ps.blank.$_)" -ne "$($vnc.$_)" })
            $different | Should -Be @('Cpu')
            $vnc.Graphics | Should -Be 'vnc/listen=127.0.0.1'
        }
    }

    Context 'where they differ, on purpose' {
        It '<Case>: CPU mode: KvmPS host-model; virt-install under TCG leaves it to libvirt (qemu64)' -ForEach $Cases {
            $Ps[$Case].Cpu | Should -Be 'host-model'
            $Vi[$Case].Cpu | Should -Be 'custom:qemu64'
            $ViPrinted[$Case][0] | Should -Not -Match '<cpu'
        }

        It 'CPU mode and domain type where /dev/kvm exists: virt-install takes kvm with host-passthrough; KvmPS checks that KVM works' {
            # No --virt-type: virt-install's own choice.
            $printed = [xml](Invoke-VirtInstall "${P}vi-kvm" '--import', '--disk', 'size=0.03' -VirtType '')[0]
            if ($printed.domain.type -ne 'kvm') { Set-ItResult -Skipped -Because "this host has no /dev/kvm: virt-install chose '$($printed.domain.type)'" }
            $printed.domain.cpu.mode | Should -Be 'host-passthrough'
            # KvmPS: host-model whatever the domain type, and kvm only where its Acceleration check passes.
            $acceleration = Test-KvmCapability -Session $S -Check Acceleration
            $Ps.blank.DomainType | Should -Be $(if ($acceleration.Status -eq 'Pass') { 'kvm' } else { 'qemu' })
            $Ps.blank.Cpu | Should -Be 'host-model'
        }

        It '<Case>: display: KvmPS VNC pinned to 127.0.0.1; virt-install SPICE on qemu.conf''s address (127.0.0.1 here)' -ForEach $GraphicalCases {
            $Ps[$Case].Graphics | Should -Be 'vnc/listen=127.0.0.1'
            $Vi[$Case].Graphics | Should -Be 'spice/listen='
            # No spice_listen/vnc_listen in the host's qemu.conf: libvirt's default, 127.0.0.1, applies to virt-install's guest.
            Invoke-KvmLabCommand kvm1 'sh', '-c', "grep -E '^[[:space:]]*(spice|vnc)_listen' /etc/libvirt/qemu.conf || true" | Should -BeNullOrEmpty
        }

        It '<Case>: SPICE extras only virt-install adds: its channel, sound, USB redirection, vmport off' -ForEach $GraphicalCases {
            $Vi[$Case].Channels | Should -Be 'unix/org.qemu.guest_agent.0; spicevmc/com.redhat.spice.0'
            $Ps[$Case].Channels | Should -Be 'unix/org.qemu.guest_agent.0'
            $Vi[$Case].Sound | Should -Be 'ich9'
            $Ps[$Case].Sound | Should -Be ''
            $Vi[$Case].Redirdev | Should -Be 'usb/spicevmc; usb/spicevmc'
            $Ps[$Case].Redirdev | Should -Be ''
            $Vi[$Case].Vmport | Should -Be 'off'
            $Ps[$Case].Vmport | Should -Be ''
        }

        It 'iso: virt-install installs in two phases; KvmPS defines the guest once, the disk booting before the installer' {
            $ViPrinted.iso.Count | Should -Be 2
            $Vi.iso.OnReboot | Should -Be 'destroy'
            $Ps.iso.OnReboot | Should -Be 'restart'
            $installed = Get-DomainProfile ([xml]$ViPrinted.iso[1])
            $installed.Boot | Should -Be 'hd'
            $installed.Disks | Should -Be "disk/virtio/qcow2/vda/$Images/<name>.qcow2/rw/unmap; cdrom/sata//sda//ro/"
        }

        It 'blank with -Graphics Spice: SPICE pinned to 127.0.0.1, without the SPICE extras' {
            $PsSpice.Graphics | Should -Be 'spice/listen=127.0.0.1'
            $Vi.blank.Graphics | Should -Be 'spice/listen='
            $PsSpice.Video | Should -Be $Vi.blank.Video
            $PsSpice.Inputs | Should -Be $Vi.blank.Inputs
            $PsSpice.Sound | Should -Be ''
            $PsSpice.Redirdev | Should -Be ''
        }

        It 'kernel: no NIC without -Network (as documented); virt-install adds one on default' {
            $Ps.kernel.Nics | Should -Be ''
            $Vi.kernel.Nics | Should -Be 'network/default/virtio'
        }

        It 'generic OS: virt-install falls back to legacy devices; KvmPS gives every guest the same q35/virtio set' {
            $printed = Invoke-VirtInstall "${P}vi-generic" '--import', '--disk', 'size=0.03', '--network', 'network=default' -OsInfo generic
            $generic = Get-DomainProfile ([xml]$printed[0])
            $generic.Machine | Should -Be 'pc'
            $generic.Disks | Should -Be "disk/ide/qcow2/hda/$Images/<name>.qcow2/rw/unmap"
            $generic.Nics | Should -Be 'network/default/e1000'
            $generic.Channels | Should -Be 'spicevmc/com.redhat.spice.0'
            $generic.Video | Should -Be 'qxl'
            $generic.Sound | Should -Be 'ich6'
            $Ps.blank.Machine | Should -Be 'q35'
            $Ps.blank.Nics | Should -Be 'network/default/virtio'
        }
    }

    Context 'where KvmPS follows virt-install (differences found by this comparison, since fixed)' {
        It '<Case>: leaves free PCIe root ports for hot-plug, as virt-install does (14 root ports)' -ForEach $Cases {
            $Ps[$Case].RootPorts | Should -BeGreaterOrEqual 14
            $Ps[$Case].FreeRootPorts | Should -BeGreaterOrEqual $Vi[$Case].FreeRootPorts
        }

        It 'blank with -Graphics Spice: the SPICE agent channel, as virt-install adds it' {
            ($PsSpice.Channels -split '; ') | Should -Contain 'spicevmc/com.redhat.spice.0'
            ($Vi.blank.Channels -split '; ') | Should -Contain 'spicevmc/com.redhat.spice.0'
        }

        It 'iso: an installed guest boots its disk first, as virt-install''s installed guest does' {
            $installed = Get-DomainProfile ([xml]$ViPrinted.iso[1])
            $installed.Boot | Should -Be 'hd'
            # A blank disk falls through to the CD-ROM while installing.
            ($Ps.iso.Boot -split '; ')[0] | Should -Be 'hd'
        }
    }
}
