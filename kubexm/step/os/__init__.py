"""OS preparation steps: identity, name resolution, swap, SELinux, firewall, kernel, limits,
time and base packages. Importing this package registers every step."""

from kubexm.step.os.install_local_os_packages import InstallLocalOsPackages
from kubexm.step.os.install_os_packages import InstallOsPackages
from kubexm.step.os.stop_firewall import StopFirewall
from kubexm.step.os.stop_swap import StopSwap
from kubexm.step.os.write_chrony_config import WriteChronyConfig
from kubexm.step.os.write_hostname import WriteHostname
from kubexm.step.os.write_hosts_block import WriteHostsBlock
from kubexm.step.os.write_kernel_modules import WriteKernelModules
from kubexm.step.os.write_limits import WriteLimits
from kubexm.step.os.write_selinux_mode import WriteSelinuxMode
from kubexm.step.os.write_sysctl import WriteSysctl
from kubexm.step.os.write_timezone import WriteTimezone

__all__ = [
    "InstallLocalOsPackages",
    "InstallOsPackages",
    "StopFirewall",
    "StopSwap",
    "WriteChronyConfig",
    "WriteHostname",
    "WriteHostsBlock",
    "WriteKernelModules",
    "WriteLimits",
    "WriteSelinuxMode",
    "WriteSysctl",
    "WriteTimezone",
]
