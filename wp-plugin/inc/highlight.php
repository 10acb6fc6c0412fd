<?php
/**
 * Marking what the checks found: the draft's words a finding is about, and the source's words they differ
 * from (or, when a finding names none, the source's sentence nearest to the draft's), in the review screen.
 *
 * Marks go only into text, never into a tag; a phrase that spans markup is not marked. Each finding's
 * marks carry its number, so the list of findings and the two texts point at each other.
 *
 * @package automationtools-ai
 */

namespace ATAI\Highlight;

/** A nearest sentence must share at least this many words with the draft's to be marked. */
const MIN_SHARED_WORDS = 3;

/**
 * The draft's and the source's HTML with each finding's words marked.
 *
 * @since 0.2.0
 *
 * @param string                           $draft_html  The draft (the post's content).
 * @param string                           $source_html The source.
 * @param array<int, array<string, mixed>> $findings    Findings (Provenance\findings()), numbered by position + 1.
 * @return array{draft: string, source: string}
 */
function both( string $draft_html, string $source_html, array $findings ): array {
	$draft_marks  = array();
	$source_marks = array();
	$source_text  = text_of( $source_html );
	$draft_text   = text_of( $draft_html );
	foreach ( array_values( $findings ) as $index => $finding ) {
		$number = $index + 1;
		$hold   = ! empty( $finding['hold'] );
		$said   = trim( (string) ( $finding['draft_text'] ?? '' ) );
		$source = trim( (string) ( $finding['source_text'] ?? '' ) );
		if ( '' !== $said ) {
			$draft_marks[] = array( $said, $number, $hold );
			if ( '' === $source ) {
				$source = nearest_sentence( sentence_around( $draft_text, $said ), $source_text );
			}
		}
		if ( '' !== $source ) {
			$source_marks[] = array( $source, $number, $hold );
		}
	}
	return array(
		'draft'  => mark( $draft_html, $draft_marks ),
		'source' => mark( $source_html, $source_marks ),
	);
}

/**
 * HTML with phrases wrapped in <mark>, in its text only; longer phrases win where two overlap.
 *
 * @since 0.2.0
 *
 * @param string                               $html  HTML.
 * @param array<int, array{0: string, 1: int, 2: bool}> $marks Phrase, finding number, whether it holds.
 */
function mark( string $html, array $marks ): string {
	if ( ! $marks ) {
		return $html;
	}
	usort( $marks, static fn( $a, $b ) => mb_strlen( $b[0] ) - mb_strlen( $a[0] ) );
	$patterns = array();
	$by_text  = array();
	foreach ( $marks as $mark ) {
		$key = mb_strtolower( preg_replace( '/\s+/u', ' ', esc_html( $mark[0] ) ) );
		if ( isset( $by_text[ $key ] ) ) {
			continue;
		}
		$by_text[ $key ] = $mark;
		$patterns[]      = implode( '\s+', array_map( static fn( $word ) => preg_quote( $word, '~' ), preg_split( '/\s+/u', esc_html( $mark[0] ) ) ) );
	}
	$pattern = '~(' . implode( '|', $patterns ) . ')~iu';
	$parts   = wp_html_split( $html );
	foreach ( $parts as $index => $part ) {
		if ( '' === $part || str_starts_with( $part, '<' ) ) {
			continue;
		}
		$parts[ $index ] = preg_replace_callback(
			$pattern,
			static function ( $found ) use ( $by_text ) {
				$mark = $by_text[ mb_strtolower( preg_replace( '/\s+/u', ' ', $found[0] ) ) ] ?? null;
				if ( null === $mark ) {
					return $found[0];
				}
				return sprintf( '<mark class="atai-mark %1$s" data-finding="%2$d" title="%3$s">%4$s<sup>%2$d</sup></mark>', $mark[2] ? 'is-hold' : 'is-note', $mark[1], esc_attr( sprintf( /* translators: %d: finding number. */ __( 'Finding %d', 'automationtools-ai' ), $mark[1] ) ), $found[0] );
			},
			$part
		) ?? $part;
	}
	return implode( '', $parts );
}

/**
 * The text of HTML, blocks kept apart (a paragraph's last sentence does not run into the next one's first).
 *
 * @since 0.2.0
 */
function text_of( string $html ): string {
	return html_entity_decode( wp_strip_all_tags( preg_replace( '/<[^>]*>/', ' $0 ', $html ) ?? $html ), ENT_QUOTES );
}

/**
 * The sentence of a text that holds a phrase, or the phrase itself.
 *
 * @since 0.2.0
 */
function sentence_around( string $text, string $phrase ): string {
	foreach ( sentences( $text ) as $sentence ) {
		if ( false !== mb_stripos( $sentence, $phrase ) ) {
			return $sentence;
		}
	}
	return $phrase;
}

/**
 * The source's sentence that shares most words with the given one, or '' when none shares enough.
 *
 * @since 0.2.0
 */
function nearest_sentence( string $sentence, string $source_text ): string {
	$words = array_flip( words( $sentence ) );
	$best  = '';
	$most  = MIN_SHARED_WORDS - 1;
	foreach ( sentences( $source_text ) as $candidate ) {
		$shared = count( array_intersect_key( array_flip( words( $candidate ) ), $words ) );
		if ( $shared > $most ) {
			$best = $candidate;
			$most = $shared;
		}
	}
	return $best;
}

/**
 * A text's sentences.
 *
 * @since 0.2.0
 *
 * @return string[]
 */
function sentences( string $text ): array {
	$text = trim( preg_replace( '/\s+/u', ' ', html_entity_decode( $text, ENT_QUOTES ) ) ?? '' );
	return array_values( array_filter( preg_split( '/(?<=[.!?])\s+/u', $text ) ?: array() ) );
}

/**
 * The distinct lower-case words (of three letters or more, and all numbers) of a text.
 *
 * @since 0.2.0
 *
 * @return string[]
 */
function words( string $text ): array {
	preg_match_all( '/\p{L}{3,}|\p{N}+/u', mb_strtolower( $text ), $found );
	return array_values( array_unique( $found[0] ) );
}
