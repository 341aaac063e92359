#!/usr/bin/perl
# smsc.pl: a scriptable SMSC (SMPP server) on Perl Net::SMPP (Debian libnet-smpp-perl),
# for testing an ESME client. One forked process per connection. It runs until SIGTERM or
# SIGINT and prints one JSON object per line on stdout; the first line is always
# {"event":"listening","port":N,...}. Exit status 2 is bad options.
#
# Options (defaults in brackets), as smsc.js where they exist there:
#   --host [127.0.0.1] --port [0 = a free port, printed in the listening event]
#   --system-id [test] --password [secret] --any-credentials --server-system-id [PERLSMSC]
#   --dlr-delay MS [200] (-1 never) --dlr-stat [DELIVRD] --dlr-err [000]
#   --drop-after N [0] --drop-count M [1] (connections 1..M; 0 = all)
#   --throttle-every K [0] --resp-delay MS [0] (blocks that connection meanwhile)
#   --enquire-interval MS [0] --id-format hex|dec [hex]
# No --tls (Net::SMPP has none) and no stdin control. Receipts go out only on the
# connection the message came in on, when it is bound rx or trx; query_sm, cancel_sm and
# replace_sm know only the messages of their own connection.
#
# Events: the same names and fields as smsc.js (see its header), with "impl":"perl":
#   listening, connect, close, bound, bind_failed, submit_sm, submit_resp, dlr_sent,
#   dlr_no_receiver, deliver_sm_resp, enquire_link, enquire_link_sent, enquire_link_resp,
#   query_sm, cancel_sm, replace_sm, unbind, bad_bind_state, generic_nack_sent, pdu,
#   framing_error, drop, stopping.
# Net::SMPP quirks that stay visible on the wire: error responses carry a body (an empty
# message_id, the system_id in bind responses); a huge command_length makes read_pdu wait
# for that many bytes, so only the client closing the connection ends it.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use Getopt::Long;
use IO::Select;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use Net::SMPP;
use PeerUtil qw(emit sm_fields format_receipt printable %MESSAGE_STATE);

my %o = (host => '127.0.0.1', port => 0, 'system-id' => 'test', password => 'secret',
         'server-system-id' => 'PERLSMSC', 'dlr-delay' => 200, 'dlr-stat' => 'DELIVRD', 'dlr-err' => '000',
         'drop-after' => 0, 'drop-count' => 1, 'throttle-every' => 0, 'resp-delay' => 0,
         'enquire-interval' => 0, 'id-format' => 'hex');
GetOptions(\%o, 'host=s', 'port=i', 'system-id=s', 'password=s', 'any-credentials', 'server-system-id=s',
           'dlr-delay=i', 'dlr-stat=s', 'dlr-err=s', 'drop-after=i', 'drop-count=i', 'throttle-every=i',
           'resp-delay=i', 'enquire-interval=i', 'id-format=s', 'tls')
  or do { print STDERR "smsc.pl: bad options (see the header of the script)\n"; exit 2; };
if ($o{tls}) { print STDERR "smsc.pl: Net::SMPP has no TLS; use smsc.js --tls\n"; exit 2; }
exists $MESSAGE_STATE{$o{'dlr-stat'}} or do { print STDERR "smsc.pl: unknown --dlr-stat\n"; exit 2; };

my $listener = Net::SMPP->new_listen($o{host}, port => $o{port}, smpp_version => 0x34, listen => 64, timeout => 1)
  or do { print STDERR "smsc.pl: cannot listen on $o{host}:$o{port}: $!\n"; exit 1; };
emit('listening', host => $o{host}, port => $listener->sockport + 0, tls => JSON::PP::false);

my %children;
my $parent = $$;
$SIG{CHLD} = sub { while ((my $pid = waitpid(-1, WNOHANG)) > 0) { delete $children{$pid}; } };
my $stop = sub {
  return unless $$ == $parent;
  kill 'TERM', keys %children;
  emit('stopping');
  exit 0;
};
$SIG{TERM} = $SIG{INT} = $stop;

my $conns = 0;
while (1) {
  my $conn = $listener->accept or next;   # accept times out every second
  $conns++;
  my $pid = fork;
  if (!defined $pid) { print STDERR "smsc.pl: fork: $!\n"; close $conn; next; }
  if ($pid == 0) {
    $SIG{TERM} = $SIG{INT} = $SIG{CHLD} = 'DEFAULT';
    close $listener;
    serve($conn, $conns);
    exit 0;
  }
  $children{$pid} = 1;
  close $conn;
}

sub command_name {
  my ($id) = @_;
  my $t = Net::SMPP::pdu_tab->{$id};
  return $t ? $t->{cmd} : 'unknown';
}

sub serve {
  my ($c, $id) = @_;
  emit('connect', conn => $id, remote => $c->peerhost . ':' . $c->peerport);
  my $mode = 'open';
  my $submits = 0;
  my $nextId = 0;
  my %msgs;
  my @timers;        # [at, message]
  my $drop_this = $o{'drop-after'} > 0 && ($o{'drop-count'} == 0 || $id <= $o{'drop-count'});
  my $enq_every = $o{'enquire-interval'} / 1000;
  my $next_enq = $enq_every > 0 ? time + $enq_every : 0;
  my %enq_seqs;
  my $sel = IO::Select->new($c);

  my $send_receipt = sub {
    my ($m) = @_;
    if ($mode ne 'rx' && $mode ne 'trx') { emit('dlr_no_receiver', message_id => $m->{id}); return; }
    my $stat = $o{'dlr-stat'};
    $m->{state} = $MESSAGE_STATE{$stat};
    my $text = format_receipt(id => $m->{id}, stat => $stat, err => $o{'dlr-err'}, text => $m->{text},
                              submitted => $m->{submitted}, done => time);
    my $seq = $c->deliver_sm(
      source_addr_ton => $m->{dst_ton}, source_addr_npi => $m->{dst_npi}, source_addr => $m->{dst},
      dest_addr_ton => $m->{src_ton}, dest_addr_npi => $m->{src_npi}, destination_addr => $m->{src},
      esm_class => 0x04, data_coding => 0, short_message => $text,
      receipted_message_id => "$m->{id}\0", message_state => pack('C', $m->{state}), async => 1);
    emit('dlr_sent', conn => $id, seq => $seq + 0, message_id => $m->{id}, stat => $stat, short_message => $text);
  };

  while (1) {
    my $now = time;
    for my $t (grep { $_->[0] <= $now } @timers) { $send_receipt->($t->[1]); }
    @timers = grep { $_->[0] > $now } @timers;
    if ($next_enq && $now >= $next_enq) {
      if ($mode =~ /^(tx|rx|trx)$/) {
        my $seq = $c->enquire_link(async => 1);
        $enq_seqs{$seq} = 1;
        emit('enquire_link_sent', conn => $id, seq => $seq + 0);
      }
      $next_enq = $now + $enq_every;
    }
    my $wait = 0.5;
    for my $at ((map { $_->[0] } @timers), ($next_enq ? ($next_enq) : ())) {
      $wait = $at - $now if $at - $now < $wait;
    }
    $wait = 0 if $wait < 0;
    next unless $sel->can_read($wait);

    my $pdu = $c->read_pdu;
    if (!defined $pdu) {
      my $err = ${*$c}{smpperror} // '';
      if ($err =~ /Too short length/) {
        emit('framing_error', conn => $id, error => $err);
        $c->generic_nack(seq => 0, status => 0x02);
        emit('generic_nack_sent', conn => $id, seq => 0, status => 2);
      }
      last;
    }
    my $cmd = command_name($pdu->{cmd});
    my $seq = $pdu->{seq} + 0;

    if ($pdu->{cmd} & 0x80000000) {
      if ($cmd eq 'deliver_sm_resp') { emit('deliver_sm_resp', conn => $id, seq => $seq, status => $pdu->{status} + 0); }
      elsif ($cmd eq 'enquire_link_resp' && delete $enq_seqs{$seq}) { emit('enquire_link_resp', conn => $id, seq => $seq, status => $pdu->{status} + 0); }
      else { emit('pdu', conn => $id, command => $cmd, command_id => $pdu->{cmd} + 0, seq => $seq, status => $pdu->{status} + 0); }
      next;
    }
    if (!$pdu->{known_pdu}) {
      $c->generic_nack(seq => $seq, status => 0x03);
      emit('generic_nack_sent', conn => $id, seq => $seq, status => 3, command_id => $pdu->{cmd} + 0);
      next;
    }
    if ($cmd =~ /^bind_(transmitter|receiver|transceiver)$/) {
      my $resp = "${cmd}_resp";
      if ($mode ne 'open') { $c->$resp(seq => $seq, status => 0x05, system_id => $o{'server-system-id'}); next; }
      my $status = 0;
      if (!$o{'any-credentials'}) {
        if ($pdu->{system_id} ne $o{'system-id'}) { $status = 0x0f; }
        elsif ($pdu->{password} ne $o{password}) { $status = 0x0e; }
      }
      $c->$resp(seq => $seq, status => $status, system_id => $o{'server-system-id'});
      if ($status) { emit('bind_failed', conn => $id, system_id => $pdu->{system_id}, status => $status); next; }
      $mode = { transmitter => 'tx', receiver => 'rx', transceiver => 'trx' }->{$1};
      emit('bound', conn => $id, mode => $mode, system_id => $pdu->{system_id}, interface_version => $pdu->{interface_version} + 0);
      next;
    }
    if ($cmd eq 'enquire_link') {
      emit('enquire_link', conn => $id, seq => $seq);
      $c->enquire_link_resp(seq => $seq);
      next;
    }
    if ($cmd eq 'unbind') {
      emit('unbind', conn => $id, seq => $seq);
      $c->unbind_resp(seq => $seq);
      sleep 0.05;
      last;
    }
    if ($cmd =~ /^(submit_sm|data_sm|submit_multi|query_sm|cancel_sm|replace_sm)$/ && $mode ne 'tx' && $mode ne 'trx') {
      emit('bad_bind_state', conn => $id, seq => $seq, command => $cmd);
      my $resp = "${cmd}_resp";
      if ($cmd eq 'submit_sm' || $cmd eq 'data_sm') { $c->$resp(seq => $seq, status => 0x04, message_id => ''); }
      elsif ($cmd eq 'submit_multi') { $c->submit_multi_resp(seq => $seq, status => 0x04, message_id => '', error_status_code => [0]); }
      elsif ($cmd eq 'query_sm') { $c->query_sm_resp(seq => $seq, status => 0x04, message_id => '', message_state => 0); }
      else { $c->$resp(seq => $seq, status => 0x04); }
      next;
    }
    if ($cmd eq 'submit_sm' || $cmd eq 'data_sm' || $cmd eq 'submit_multi') {
      my $f = $cmd eq 'submit_multi' ? {} : sm_fields($cmd, $pdu->{data});
      emit('submit_sm', conn => $id, seq => $seq, command => $cmd, %$f,
           text => printable($f->{short_message_hex} ? pack('H*', $f->{short_message_hex}) : undef));
      $submits++;
      my $status = ($o{'throttle-every'} > 0 && $submits % $o{'throttle-every'} == 0) ? 0x58 : 0;
      my $resp = "${cmd}_resp";
      my $mid = '';
      if (!$status) {
        $nextId++;
        $mid = $o{'id-format'} eq 'dec' ? sprintf('%d', 800000000 + $id * 10000 + $nextId)
                                        : sprintf('%x', 0x6b000000 + $id * 0x10000 + $nextId);
        my $dst = ref $pdu->{destination_addr} ? $pdu->{destination_addr}[0] : $pdu->{destination_addr};
        my $m = { id => $mid, submitted => time, state => 1,
                  text => printable($f->{short_message_hex} ? pack('H*', $f->{short_message_hex}) : '') // '',
                  src => $pdu->{source_addr} // '', src_ton => $pdu->{source_addr_ton} // 0, src_npi => $pdu->{source_addr_npi} // 0,
                  dst => $dst // '', dst_ton => $f->{dest_addr_ton} // 0, dst_npi => $f->{dest_addr_npi} // 0 };
        $msgs{$mid} = $m;
        push @timers, [time + $o{'dlr-delay'} / 1000, $m]
          if (($pdu->{registered_delivery} // 0) & 3) == 1 && $o{'dlr-delay'} >= 0;
      }
      sleep($o{'resp-delay'} / 1000) if $o{'resp-delay'} > 0;
      if ($cmd eq 'submit_multi') { $c->submit_multi_resp(seq => $seq, status => $status, message_id => $mid, error_status_code => [0]); }
      else { $c->$resp(seq => $seq, status => $status, message_id => $mid); }
      emit('submit_resp', conn => $id, seq => $seq, status => $status, message_id => $status ? undef : $mid);
      if ($drop_this && $submits == $o{'drop-after'}) {
        emit('drop', conn => $id, after_submits => $submits);
        last;
      }
      next;
    }
    if ($cmd eq 'query_sm') {
      my $m = $msgs{$pdu->{message_id}};
      my $status = $m ? 0 : 0x67;
      emit('query_sm', conn => $id, seq => $seq, message_id => $pdu->{message_id}, status => $status, message_state => $m ? $m->{state} : undef);
      $c->query_sm_resp(seq => $seq, status => $status, message_id => $pdu->{message_id}, final_date => '',
                        message_state => $m ? $m->{state} : 0, error_code => 0);
      next;
    }
    if ($cmd eq 'cancel_sm' || $cmd eq 'replace_sm') {
      my $m = $msgs{$pdu->{message_id}};
      my $ok = $m && $m->{state} == 1;
      my $status = $ok ? 0 : ($cmd eq 'cancel_sm' ? 0x11 : 0x13);
      if ($ok && $cmd eq 'cancel_sm') { $m->{state} = 4; @timers = grep { $_->[1] != $m } @timers; }
      emit($cmd, conn => $id, seq => $seq, message_id => $pdu->{message_id}, status => $status);
      my $resp = "${cmd}_resp";
      $c->$resp(seq => $seq, status => $status);
      next;
    }
    # deliver_sm, alert_notification, outbind...: not for an SMSC to receive
    $c->generic_nack(seq => $seq, status => 0x03);
    emit('generic_nack_sent', conn => $id, seq => $seq, status => 3, command_id => $pdu->{cmd} + 0);
  }
  emit('close', conn => $id);
  close $c;
}
