// Runs a program under the seccomp filters that deploy/systemd/queuewatch.service asks systemd
// for, so that tests/sandbox/sandboxed_daemon.sh can run the daemon inside them on machines where
// systemd is not PID 1 (deploy/README.md, "Hardening"):
//
//   qw_sandbox_exec [OPTION]... -- PROGRAM [ARG]...
//
//   --allow-syscalls FILE     SystemCallFilter=: the system calls allowed, one name a line (the
//                             test expands the unit's groups with `systemd-analyze
//                             syscall-filter`). Any other call KILLS the process with SIGSYS,
//                             where the unit (SystemCallErrorNumber=EPERM) would fail it: a
//                             test must see every call outside the list, not a quiet error.
//   --address-families LIST   RestrictAddressFamilies=: comma-separated AF_UNIX, AF_INET,
//                             AF_INET6; socket() of any other family fails with EAFNOSUPPORT.
//   --memory-deny-write-execute, --restrict-namespaces, --lock-personality,
//   --restrict-suid-sgid      the directives of the same names.
//   --proc-subset-pid         ProtectProc=invisible + ProcSubset=pid: a mount namespace whose
//                             /proc is mounted hidepid=invisible,subset=pid. Needs root.
//   --user NAME               DynamicUser=: when root, drop every capability (an empty
//                             CapabilityBoundingSet=) and become NAME and its group.
//   --umask OCTAL             UMask=.
//
// NoNewPrivileges= and SystemCallArchitectures=native always apply (seccomp needs the first; the
// allow list kills a call of another architecture). The rules of each option are systemd's own
// (src/shared/seccomp-util.c: seccomp_restrict_address_families, seccomp_memory_deny_write_execute,
// seccomp_restrict_namespaces, seccomp_lock_personality, seccomp_restrict_suid_sgid), each a
// filter of its own as systemd loads them; the kernel applies the strictest answer of all.
// Exits 2 on a usage error, 1 when the sandbox cannot be set up; otherwise it becomes PROGRAM.
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "qw_sandbox_exec: %s\n", what.c_str());
  std::exit(1);
}

[[noreturn]] void usage(const std::string& what) {
  std::fprintf(stderr,
               "qw_sandbox_exec: %s\nusage: qw_sandbox_exec [OPTION]... -- PROGRAM [ARG]...\n",
               what.c_str());
  std::exit(2);
}

void check(int rc, const std::string& what) {
  // libseccomp returns -errno; the libc calls return -1 and set errno.
  if (rc < 0) die(what + ": " + std::strerror(rc == -1 ? errno : -rc));
}

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

// A filter that allows what it has no rule for, as each of systemd's per-directive filters.
Filter allow_by_default() {
  Filter f(seccomp_init(SCMP_ACT_ALLOW));
  if (!f) die("seccomp_init failed");
  return f;
}

void add(const Filter& f, uint32_t action, int syscall, std::vector<scmp_arg_cmp> args,
         const char* name) {
  check(seccomp_rule_add_exact_array(f.get(), action, syscall, static_cast<unsigned>(args.size()),
                                     args.data()),
        std::string("rule for ") + name);
}

void load(const Filter& f, const char* what) {
  check(seccomp_load(f.get()), std::string("loading ") + what);
}

scmp_arg_cmp arg(unsigned index, scmp_compare op, scmp_datum_t a, scmp_datum_t b = 0) {
  return scmp_arg_cmp{index, op, a, b};
}

void restrict_address_families(const std::set<int>& allowed) {
  auto f = allow_by_default();
  const uint32_t refuse = SCMP_ACT_ERRNO(EAFNOSUPPORT);
  const int first = *allowed.begin();
  const int last = *allowed.rbegin();
  add(f, refuse, SCMP_SYS(socket), {arg(0, SCMP_CMP_LT, static_cast<scmp_datum_t>(first))},
      "socket");
  add(f, refuse, SCMP_SYS(socket), {arg(0, SCMP_CMP_GT, static_cast<scmp_datum_t>(last))},
      "socket");
  for (int af = first + 1; af < last; ++af) {
    if (allowed.count(af) == 0)
      add(f, refuse, SCMP_SYS(socket), {arg(0, SCMP_CMP_EQ, static_cast<scmp_datum_t>(af))},
          "socket");
  }
  load(f, "RestrictAddressFamilies=");
}

void memory_deny_write_execute() {
  auto f = allow_by_default();
  const uint32_t refuse = SCMP_ACT_ERRNO(EPERM);
  const scmp_datum_t wx = PROT_WRITE | PROT_EXEC;
  add(f, refuse, SCMP_SYS(mmap), {arg(2, SCMP_CMP_MASKED_EQ, wx, wx)}, "mmap");
  // Not even read-only code made executable later: that is how W^X is otherwise undone.
  add(f, refuse, SCMP_SYS(mprotect), {arg(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)},
      "mprotect");
  add(f, refuse, SCMP_SYS(pkey_mprotect), {arg(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)},
      "pkey_mprotect");
  add(f, refuse, SCMP_SYS(shmat), {arg(2, SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC)}, "shmat");
  load(f, "MemoryDenyWriteExecute=");
}

void restrict_namespaces() {
  auto f = allow_by_default();
  const uint32_t refuse = SCMP_ACT_ERRNO(EPERM);
  add(f, refuse, SCMP_SYS(setns), {}, "setns");
  for (scmp_datum_t flag : {CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                            CLONE_NEWPID, CLONE_NEWNET}) {
    add(f, refuse, SCMP_SYS(unshare), {arg(0, SCMP_CMP_MASKED_EQ, flag, flag)}, "unshare");
    add(f, refuse, SCMP_SYS(clone), {arg(0, SCMP_CMP_MASKED_EQ, flag, flag)}, "clone");
  }
  // clone3() keeps its flags in memory a filter cannot read. Newer systemd answers it ENOSYS
  // under RestrictNamespaces=, which makes glibc fall back to clone(); so does this test, which
  // then exercises the stricter of the two paths.
  add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), {}, "clone3");
  load(f, "RestrictNamespaces=");
}

void lock_personality() {
  // systemd locks the personality the service starts with, and refuses every other value
  // (even the 0xffffffff query).
  const int current = personality(0xffffffff);
  check(current, "personality");
  auto f = allow_by_default();
  add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality),
      {arg(0, SCMP_CMP_NE, static_cast<scmp_datum_t>(current))}, "personality");
  load(f, "LockPersonality=");
}

void restrict_suid_sgid() {
  auto f = allow_by_default();
  const uint32_t refuse = SCMP_ACT_ERRNO(EPERM);
  for (scmp_datum_t m : {S_ISUID, S_ISGID}) {
    add(f, refuse, SCMP_SYS(chmod), {arg(1, SCMP_CMP_MASKED_EQ, m, m)}, "chmod");
    add(f, refuse, SCMP_SYS(fchmod), {arg(1, SCMP_CMP_MASKED_EQ, m, m)}, "fchmod");
    add(f, refuse, SCMP_SYS(fchmodat), {arg(2, SCMP_CMP_MASKED_EQ, m, m)}, "fchmodat");
    add(f, refuse, SCMP_SYS(mkdir), {arg(1, SCMP_CMP_MASKED_EQ, m, m)}, "mkdir");
    add(f, refuse, SCMP_SYS(mkdirat), {arg(2, SCMP_CMP_MASKED_EQ, m, m)}, "mkdirat");
    add(f, refuse, SCMP_SYS(mknod), {arg(1, SCMP_CMP_MASKED_EQ, m, m)}, "mknod");
    add(f, refuse, SCMP_SYS(mknodat), {arg(2, SCMP_CMP_MASKED_EQ, m, m)}, "mknodat");
    add(f, refuse, SCMP_SYS(open),
        {arg(1, SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT), arg(2, SCMP_CMP_MASKED_EQ, m, m)}, "open");
    add(f, refuse, SCMP_SYS(openat),
        {arg(2, SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT), arg(3, SCMP_CMP_MASKED_EQ, m, m)}, "openat");
    add(f, refuse, SCMP_SYS(creat), {arg(1, SCMP_CMP_MASKED_EQ, m, m)}, "creat");
  }
  // openat2() keeps its mode in memory a filter cannot read: systemd refuses it whole.
  add(f, refuse, SCMP_SYS(openat2), {}, "openat2");
  load(f, "RestrictSUIDSGID=");
}

// Loaded last: from here on only the listed calls work, and execve() is one of them (@default).
void allow_only(const std::string& path) {
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  Filter f(seccomp_init(SCMP_ACT_KILL_PROCESS));
  if (!f) die("seccomp_init failed");
  check(seccomp_attr_set(f.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
        "SystemCallArchitectures=native");
  std::string name;
  int allowed = 0;
  while (std::getline(in, name)) {
    if (name.empty()) continue;
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    // systemd ignores the names its groups list for other architectures (mmap2, riscv_*...):
    // unknown, or a negative pseudo-number for a call this architecture does not have.
    if (nr == __NR_SCMP_ERROR || nr < 0) continue;
    add(f, SCMP_ACT_ALLOW, nr, {}, name.c_str());
    ++allowed;
  }
  if (allowed == 0) die(path + " names no system call of this architecture");
  load(f, "SystemCallFilter=");
}

int address_family(const std::string& name) {
  if (name == "AF_UNIX") return AF_UNIX;
  if (name == "AF_INET") return AF_INET;
  if (name == "AF_INET6") return AF_INET6;
  if (name == "AF_NETLINK") return AF_NETLINK;
  if (name == "AF_PACKET") return AF_PACKET;
  usage("unknown address family " + name);
}

void proc_subset_pid() {
  check(unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)");
  // Private, so the new /proc does not propagate back to the host's mount namespace.
  check(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "making / private");
  check(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "hidepid=invisible,subset=pid"),
        "mounting /proc with subset=pid");
}

void become(const std::string& user) {
  if (geteuid() != 0) return;  // not root: nothing to drop, the test already runs unprivileged
  const passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) die("no user " + user);
  for (int cap = 0; cap <= 63; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      die("dropping capability " + std::to_string(cap) + ": " + std::strerror(errno));
  }
  check(setgroups(0, nullptr), "setgroups");
  check(setgid(pw->pw_gid), "setgid");
  check(setuid(pw->pw_uid), "setuid");
}

}  // namespace

int main(int argc, char** argv) {
  std::string allow_file, user;
  std::set<int> families;
  bool mdwe = false, namespaces = false, personality_lock = false, suid = false, proc = false;
  long umask_value = -1;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--") {
      ++i;
      break;
    } else if (a == "--allow-syscalls") {
      allow_file = value();
    } else if (a == "--address-families") {
      std::stringstream list(value());
      for (std::string af; std::getline(list, af, ',');) families.insert(address_family(af));
    } else if (a == "--memory-deny-write-execute") {
      mdwe = true;
    } else if (a == "--restrict-namespaces") {
      namespaces = true;
    } else if (a == "--lock-personality") {
      personality_lock = true;
    } else if (a == "--restrict-suid-sgid") {
      suid = true;
    } else if (a == "--proc-subset-pid") {
      proc = true;
    } else if (a == "--user") {
      user = value();
    } else if (a == "--umask") {
      umask_value = std::strtol(value().c_str(), nullptr, 8);
    } else {
      usage("unknown option " + a);
    }
  }
  if (i >= argc) usage("no program to run");

  // Mounts and identity first: the filters below forbid both.
  if (proc) proc_subset_pid();
  if (!user.empty()) become(user);
  if (umask_value >= 0) umask(static_cast<mode_t>(umask_value));
  check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "NoNewPrivileges");
  if (!families.empty()) restrict_address_families(families);
  if (mdwe) memory_deny_write_execute();
  if (namespaces) restrict_namespaces();
  if (personality_lock) lock_personality();
  if (suid) restrict_suid_sgid();
  if (!allow_file.empty()) allow_only(allow_file);

  execvp(argv[i], argv + i);
  // Under the allow list execve() is permitted, so this is the program's own failure.
  std::fprintf(stderr, "qw_sandbox_exec: cannot run %s: %s\n", argv[i], std::strerror(errno));
  return 127;
}
