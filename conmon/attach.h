#pragma once
// The attach socket (--attach-socket): any number of clients, at any time
// while the container runs, see its output from the moment they attach,
// feed its stdin, close it and resize its tty. A unix SOCK_SEQPACKET socket;
// the protocol is conmon/attach_protocol.h. conmon's poll loop serves it
// (Watch, then Serve) and hands it every chunk of output it reads
// (Broadcast).
//
// A client never stalls the container or the log: sends are non-blocking,
// what a client is not reading yet waits in its own queue, and a client
// whose queue outgrows kMaxClientQueue is disconnected. Nor does a full
// stdin pipe stall conmon: input waits in StdinSink's bounded queue, and
// while that is full conmon reads no client's input (their sends block, or
// fail with EAGAIN, in the client), which keeps stdin in order without
// dropping anyone.

#include <poll.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conmon/attach_protocol.h"
#include "conmon/fd.h"
#include "conmon/log_writer.h"

namespace berth::conmon {

// Where the clients' input goes: the write end of the container's stdin
// pipe (--stdin), or the pty master (--tty); nowhere otherwise.
class StdinSink {
 public:
  static constexpr size_t kMaxQueue = 1 << 20;

  // --stdin: owns the pipe's write end (made non-blocking); closing it is
  // the container's EOF. Throws std::system_error.
  void TakePipe(Fd write_end);
  // --tty: resizes go to the master, which conmon keeps open, and so does
  // the input with `input` (--stdin).
  void UseConsole(int master, bool input);

  // Queues `data` and writes what the reader takes now; nothing once closed.
  void Write(std::string_view data);
  // The container's EOF, once what is queued is written. Not for a tty.
  void Close();
  void Resize(WindowSize size) const;

  // No more input is to be read from clients until this drains.
  bool full() const { return queue_.size() - written_ >= kMaxQueue; }
  bool queued() const { return written_ < queue_.size(); }
  // For poll: POLLOUT on the target while something is queued.
  pollfd Watch() const;
  void OnWritable() { Flush(); }

 private:
  void Flush();
  void Stop();  // the reader is gone: drop the queue, ignore later input

  Fd pipe_;
  int target_ = -1;   // pipe_ or the console; -1 once closed or stopped
  int console_ = -1;  // --tty only
  std::string queue_;
  size_t written_ = 0;  // of queue_
  bool close_pending_ = false;
};

class AttachServer {
 public:
  static constexpr size_t kMaxClientQueue = 4 << 20;
  // Past it a new client is accepted and closed at once (it sees EOF).
  static constexpr size_t kMaxClients = 128;

  // Listens at `path` (a stale socket there is replaced), mode 0600.
  // Throws std::system_error.
  explicit AttachServer(std::string path);
  // Shuts every client down (they see EOF) and removes the socket.
  ~AttachServer();
  AttachServer(const AttachServer&) = delete;
  AttachServer& operator=(const AttachServer&) = delete;

  StdinSink& input() { return input_; }
  size_t clients() const;

  // A chunk of the container's output, to every client.
  void Broadcast(Stream stream, std::string_view data);
  // Appends the fds to poll; Serve takes the same entries back, after poll,
  // with no Watch in between.
  void Watch(std::vector<pollfd>& fds);
  void Serve(std::span<const pollfd> fds);
  // The output has ended: closes the listener, sends what is queued (for at
  // most `limit`: a stalled client holds conmon no longer) and shuts every
  // client down.
  void Finish(std::chrono::milliseconds limit);

 private:
  struct Client {
    Fd fd;
    std::deque<std::string> out;  // messages not taken yet
    size_t out_bytes = 0;
    bool input_ended = false;  // it sent EOF (shutdown SHUT_WR): only output for it
    bool hung_up = false;      // gone, with input left to read once stdin has room
    bool dead = false;
  };

  short Events(const Client& c) const;
  void Accept();
  void ServeClient(Client& c, short revents);
  void ReadInput(Client& c, short revents);
  void Handle(std::string_view datagram);
  void Send(Client& c, const std::string& msg);
  void SendQueued(Client& c);
  static void Disconnect(Client& c);
  void FlushQueues(std::chrono::milliseconds limit);
  void CloseListener();

  std::string path_;
  Fd listen_;
  StdinSink input_;
  std::vector<Client> clients_;
};

}  // namespace berth::conmon
