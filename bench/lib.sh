# Sourced by the bench scripts: helpers they share. Nothing here runs on its own.

# median: the median of the numbers on standard input, one a line ("-" when there are none).
median() { sort -g | awk '{a[NR]=$1} END {if (!NR) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# pg_cpu_ticks PM: CPU clock ticks (user + system) the cluster whose postmaster is PM has used:
# the postmaster's own, its live children's, and its reaped children's (cutime/cstime, where the
# CPU of an exited backend goes once the postmaster has waited for it). Divide by
# `getconf CLK_TCK` for seconds.
pg_cpu_ticks() {
  local pm=$1 t p f
  read -r -a f < <(sed 's/^.*) //' "/proc/$pm/stat")  # fields from 3 on: f[11]=utime f[12]=stime f[13]=cutime f[14]=cstime
  t=$(( f[11] + f[12] + f[13] + f[14] ))
  for p in $(cat /proc/"$pm"/task/*/children); do
    read -r -a f < <(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
    t=$(( t + f[11] + f[12] ))
  done
  echo "$t"
}
