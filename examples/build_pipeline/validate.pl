#!/usr/bin/env perl
# Phase 5 of build_pipeline: validates the generated data against its manifest (lengths, FNV-1a, sums)
# and writes SHA256SUMS of the data files, which phase 6 checks before packaging.
use strict;
use warnings;
use Digest::SHA;
use File::Spec;
use JSON::PP;

my ($data_dir, $sums_out) = @ARGV;
die "usage: validate.pl DATA_DIR SHA256SUMS_OUT\n" unless defined $sums_out;

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "validate.pl: cannot open '$path': $!\n";
    local $/;
    my $bytes = <$fh>;
    close $fh;
    return $bytes;
}

sub fnv1a32 {
    my ($bytes) = @_;
    my $h = 0x811c9dc5;
    for my $b (unpack 'C*', $bytes) {
        $h ^= $b;
        # h < 2**32 and the prime < 2**25, so the product fits Perl's 64-bit integers exactly.
        $h = ($h * 0x01000193) & 0xffffffff;
    }
    return sprintf '%08x', $h;
}

my $manifest_path = File::Spec->catfile($data_dir, 'manifest.json');
my $bin_path = File::Spec->catfile($data_dir, 'tables.bin');
my $manifest = decode_json(slurp($manifest_path));
my $bin = slurp($bin_path);
my ($offset, $errors) = (0, 0);

for my $t (@{ $manifest->{tables} }) {
    my $len = 4 * $t->{length};
    if ($offset + $len > length $bin) {
        warn "validate.pl: tables.bin too short for $t->{name}\n";
        $errors++;
        last;
    }
    my $chunk = substr $bin, $offset, $len;
    $offset += $len;
    my $sum = 0;
    $sum += $_ for unpack 'V*', $chunk;
    my $fnv = fnv1a32($chunk);
    if ($fnv ne $t->{fnv1a32} || $sum != $t->{sum}) {
        warn "validate.pl: $t->{name}: fnv $fnv sum $sum, manifest says $t->{fnv1a32} $t->{sum}\n";
        $errors++;
    }
}
if ($offset != length $bin) {
    warn "validate.pl: tables.bin has " . (length($bin) - $offset) . " bytes beyond the manifest\n";
    $errors++;
}
die "validate.pl: $errors error(s)\n" if $errors;

open my $out, '>', $sums_out or die "validate.pl: cannot write '$sums_out': $!\n";
for my $path ($manifest_path, $bin_path) {
    my (undef, undef, $name) = File::Spec->splitpath($path);
    printf {$out} "%s  %s\n", Digest::SHA->new(256)->addfile($path, 'b')->hexdigest, $name;
}
close $out or die "validate.pl: cannot write '$sums_out': $!\n";
printf STDERR "validate.pl: ok: %d tables, %d bytes\n", scalar @{ $manifest->{tables} }, length $bin;
