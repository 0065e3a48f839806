/* t-signals.c: SIGTERM and SIGINT stop, interrupting a blocking call;
 * SIGPIPE does not kill. */
#include "common.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signals.h"
#include "tap.h"

static volatile sig_atomic_t stops;

static void on_stop(int sig)
{
	(void)sig;
	stops++;
}

int main(void)
{
	struct sigaction sa;
	int fd[2], status;
	char c;
	ssize_t n;
	pid_t pid;

	signals_on_stop(on_stop);
	raise(SIGTERM);
	is_int(stops, 1, "SIGTERM calls the handler");
	raise(SIGINT);
	is_int(stops, 2, "so does SIGINT");
	raise(SIGPIPE);
	ok(1, "SIGPIPE is ignored: still here");
	ok(!sigaction(SIGTERM, NULL, &sa) && !(sa.sa_flags & SA_RESTART),
	   "installed without SA_RESTART");

	/* A read that only the signal can end early: a child sends SIGTERM
	 * after 100 ms, and writes a byte after 5 s should the read go on
	 * (then it returns 1, and the test fails instead of hanging). */
	if (pipe(fd) < 0 || (pid = fork()) < 0) {
		ok(0, "pipe and fork");
		return done_testing();
	}
	if (pid == 0) {
		usleep(100 * 1000);
		kill(getppid(), SIGTERM);
		sleep(5);
		if (write(fd[1], "x", 1) < 0)
			_exit(1);
		_exit(0);
	}
	n = read(fd[0], &c, 1);
	ok(n < 0 && errno == EINTR, "a blocking read returns EINTR");
	is_int(stops, 3, "and the handler ran");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return done_testing();
}
