<?php
/**
 * Images in the media library: a post's featured image and the images of its content, copied from the worker.
 *
 * The worker downloads and checks every image (its address rules, its byte checks) and keeps the bytes;
 * WordPress copies them from the worker (Worker\download_image()), so it never requests an address a feed
 * chose. One attachment per image, across feeds and runs: {prefix}atai_media maps the sha256 of each image
 * URL, and the sha256 of its bytes, to the attachment. Copying costs a few queries; the image editor's
 * sub-sizes (thumbnails) cost a tenth of a second or more each, so they are made by a cron event right
 * after, never while a collection runs. An image another collection is copying at that moment is set
 * once the batch's other posts are in (Media\settle()); one that does not fit the collection's time
 * budget is copied by a later cron event. The post shows it from then on. Both cron events are in
 * media-later.php.
 *
 * @package automationtools-ai
 */

namespace ATAI\Media;

use ATAI\Feed;
use ATAI\Lock;
use ATAI\Schema;
use ATAI\Settings;
use ATAI\Worker;
use WP_Error;

/** Seconds a collection waits for another one copying the same image before it leaves it for later. */
const COPY_WAIT = 2;

/** File extensions by the MIME types the worker sends. */
const EXTENSIONS = array(
	'image/jpeg' => 'jpg',
	'image/png'  => 'png',
	'image/gif'  => 'gif',
	'image/webp' => 'webp',
	'image/avif' => 'avif',
);

/**
 * The feed options of images.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	return array(
		'featured_image' => array(
			'group'   => 'post',
			'type'    => 'enum',
			'default' => 'page',
			'choices' => array(
				'page' => __( 'From the feed, the article, or its page\'s sharing image', 'automationtools-ai' ),
				'feed' => __( 'From the feed or the article only', 'automationtools-ai' ),
				'none' => __( 'None', 'automationtools-ai' ),
			),
			'label'   => __( 'Featured image', 'automationtools-ai' ),
			'help'    => __( 'Copied into the media library. Looked for in this order: the feed\'s media or enclosure, the first sizeable image of the article, the page\'s og:image (its page is then fetched when the article did not need it).', 'automationtools-ai' ),
			'worker'  => true,
		),
		'body_images'    => array(
			'group'   => 'post',
			'type'    => 'enum',
			'default' => 'copy',
			'choices' => array(
				'copy'   => __( 'Copy them into the media library', 'automationtools-ai' ),
				'remote' => __( 'Keep showing them from the source site', 'automationtools-ai' ),
			),
			'label'   => __( 'Images in the post', 'automationtools-ai' ),
			'help'    => __( 'Copied images keep working when the source deletes them, and only real JPEG, PNG, GIF, WebP or AVIF images are kept.', 'automationtools-ai' ),
			'worker'  => true,
		),
	);
}

/**
 * What images the site accepts, as RunRequest.images.
 *
 * @since 0.2.0
 *
 * @return array{max_bytes: int, max_pixels: int, formats: string[]}
 */
function limits(): array {
	$formats = array( 'jpeg', 'png', 'gif', 'webp' );
	if ( wp_image_editor_supports( array( 'mime_type' => 'image/avif' ) ) ) {
		$formats[] = 'avif';
	}
	return array(
		'max_bytes'  => (int) Settings\get( Settings\IMAGE_MAX_MB ) * 1000000,
		'max_pixels' => (int) Settings\get( Settings\IMAGE_MAX_MP ) * 1000000,
		'formats'    => $formats,
	);
}

/**
 * Before the post is inserted: the attachments of the draft's images, copied now if the time allows.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft    A contract Draft.
 * @param string               $content  The post content, whose image addresses are rewritten.
 * @param Feed                 $feed     The feed.
 * @param float                $deadline microtime(true) after which nothing more is copied now.
 * @return array{thumbnail_id: int, content: string, pending: array<int, array<string, mixed>>, notes: string[]}
 */
function prepare( array $draft, string $content, Feed $feed, float $deadline ): array {
	$prepared = array(
		'thumbnail_id' => 0,
		'content'      => $content,
		'pending'      => array(),
		'notes'        => array(),
	);
	$images   = images_of( $draft );
	foreach ( $images as $image ) {
		$attachment = find( $image );
		if ( 0 === $attachment && microtime( true ) < $deadline ) {
			$attachment = copy_once( $image, $draft, $feed );
			if ( is_wp_error( $attachment ) ) {
				$prepared['notes'][] = $attachment->get_error_message();
				continue;
			}
		}
		if ( 0 === $attachment ) {
			$prepared['pending'][] = $image;
			continue;
		}
		if ( $image['featured'] ) {
			$prepared['thumbnail_id'] = $attachment;
		}
		if ( $image['body'] ) {
			$prepared['content'] = with_local_source( $prepared['content'], $image['url'], $attachment );
		}
	}
	return $prepared;
}

/**
 * Before a batch's posts: copy the images its drafts name, each once, so that its posts find them ready.
 *
 * Collections of feeds that share images (a wire service's pictures, a site's logo) run at once; each
 * starts at another point of its list and passes over images another is copying, then waits for those,
 * so that they copy different images side by side instead of the same one in turn.
 *
 * @since 0.2.0
 *
 * @param array<int, array<string, mixed>> $drafts   The batch's drafts.
 * @param Feed                             $feed     The feed.
 * @param float                            $deadline microtime(true) after which the posts' own import copies what is left.
 */
function copy_ahead( array $drafts, Feed $feed, float $deadline ): void {
	$images = array();
	foreach ( $drafts as $draft ) {
		// Not checked against the contract yet (each draft is, when it is imported): only well-formed images.
		$named = array_merge( array( $draft['image'] ?? null ), (array) ( $draft['images'] ?? array() ) );
		foreach ( $named as $image ) {
			if ( is_array( $image ) && is_string( $image['url'] ?? null ) && preg_match( '/^[0-9a-f]{64}$/', (string) ( $image['sha256'] ?? '' ) )
				&& isset( EXTENSIONS[ $image['mime_type'] ?? '' ], $image['size'], $image['width'], $image['height'] ) ) {
				$images[ $image['sha256'] ] = array( $image, $draft );
			}
		}
	}
	$images = array_values( $images );
	find_all( array_column( $images, 0 ) );
	$count  = count( $images );
	$start  = $count ? ( $feed->id * 7 ) % $count : 0;
	$busy   = array();
	for ( $index = 0; $index < $count && microtime( true ) < $deadline; $index++ ) {
		list( $image, $draft ) = $images[ ( $start + $index ) % $count ];
		if ( 0 === find( $image ) && 0 === copy_once( $image, $draft, $feed, 0 ) ) {
			$busy[] = array( $image, $draft );
		}
	}
	foreach ( $busy as list( $image, $draft ) ) {
		if ( microtime( true ) >= $deadline ) {
			return;
		}
		if ( 0 === find( $image ) ) {
			copy_once( $image, $draft, $feed );
		}
	}
}

/**
 * The draft's images, each once (by its bytes), marked featured and/or in the content.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft A contract Draft.
 * @return array<string, array<string, mixed>> By sha256.
 */
function images_of( array $draft ): array {
	$images = array();
	if ( is_array( $draft['image'] ?? null ) ) {
		$images[ $draft['image']['sha256'] ] = $draft['image'] + array(
			'featured' => true,
			'body'     => false,
		);
	}
	foreach ( (array) ( $draft['images'] ?? array() ) as $image ) {
		$sha = $image['sha256'];
		if ( isset( $images[ $sha ] ) && $images[ $sha ]['url'] === $image['url'] ) {
			$images[ $sha ]['body'] = true;
			continue;
		}
		// The same bytes under another address: one attachment, and this address is rewritten too.
		$images[ $sha . ' ' . $image['url'] ] = $image + array(
			'featured' => false,
			'body'     => true,
		);
	}
	return $images;
}

/**
 * The attachment already made for this image (by its URL or its bytes), or 0.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $image A contract Image.
 */
function find( array $image ): int {
	global $wpdb;
	wp_cache_add_non_persistent_groups( \ATAI\Terms\CACHE_GROUP );
	$url_hash = hash( 'sha256', $image['url'] );
	$sha      = $image['sha256'];
	$known    = (int) wp_cache_get( 'image:' . $url_hash, \ATAI\Terms\CACHE_GROUP );
	if ( $known > 0 && get_post( $known ) ) {
		return $known;
	}
	$table = Schema\media_table();
	$row   = $wpdb->get_row(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"SELECT m.url_hash, m.attachment_id FROM {$table} m JOIN {$wpdb->posts} p ON p.ID = m.attachment_id AND p.post_type = 'attachment' WHERE m.url_hash = %s OR m.content_hash = %s ORDER BY m.url_hash = %s DESC LIMIT 1",
			$url_hash,
			$sha,
			$url_hash
		),
		ARRAY_A
	);
	if ( ! $row ) {
		return 0;
	}
	$attachment = (int) $row['attachment_id'];
	if ( $row['url_hash'] !== $url_hash ) {
		remember( $url_hash, $sha, $attachment, false );
	}
	wp_cache_set( 'image:' . $url_hash, $attachment, \ATAI\Terms\CACHE_GROUP );
	return $attachment;
}

/**
 * Look many images up at once (one query, and one for their posts), so that find() answers from the cache.
 *
 * @since 0.2.0
 *
 * @param array<int, array<string, mixed>> $images Contract Images.
 */
function find_all( array $images ): void {
	global $wpdb;
	if ( ! $images ) {
		return;
	}
	wp_cache_add_non_persistent_groups( \ATAI\Terms\CACHE_GROUP );
	$by_url   = array();
	$contents = array();
	foreach ( $images as $image ) {
		$by_url[ hash( 'sha256', $image['url'] ) ] = true;
		$contents[ $image['sha256'] ]              = true;
	}
	$table = Schema\media_table();
	$in    = static fn( array $hashes ): string => "'" . implode( "','", array_map( 'esc_sql', $hashes ) ) . "'";
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQL.NotPrepared -- table names are ours; the hashes are hex, escaped.
	$rows = $wpdb->get_results( "SELECT m.url_hash, m.content_hash, m.attachment_id FROM {$table} m JOIN {$wpdb->posts} p ON p.ID = m.attachment_id AND p.post_type = 'attachment' WHERE m.url_hash IN (" . $in( array_keys( $by_url ) ) . ') OR m.content_hash IN (' . $in( array_keys( $contents ) ) . ')', ARRAY_A );
	$found = array();
	foreach ( $rows ?: array() as $row ) {
		$attachment = (int) $row['attachment_id'];
		$found[]    = $attachment;
		// An image known by its bytes under another address is found by find(), which records this address.
		if ( isset( $by_url[ $row['url_hash'] ] ) ) {
			wp_cache_set( 'image:' . $row['url_hash'], $attachment, \ATAI\Terms\CACHE_GROUP );
		}
	}
	if ( $found ) {
		_prime_post_caches( array_unique( $found ), false, false );
	}
}

/**
 * Record which attachment an image URL gave (a deleted attachment's row is taken over).
 *
 * @since 0.2.0
 */
function remember( string $url_hash, string $sha, int $attachment, bool $sizes_pending ): void {
	global $wpdb;
	$table = Schema\media_table();
	$wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"INSERT INTO {$table} (url_hash, content_hash, attachment_id, sizes_pending) VALUES (%s, %s, %d, %d) ON DUPLICATE KEY UPDATE content_hash = VALUES(content_hash), attachment_id = VALUES(attachment_id), sizes_pending = VALUES(sizes_pending)",
			$url_hash,
			$sha,
			$attachment,
			$sizes_pending ? 1 : 0
		)
	);
}

/**
 * Copy an image unless another collection, running at the same time, does: one attachment per image.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $image A contract Image.
 * @param array<string, mixed> $draft The draft that names it.
 * @param Feed                 $feed  The feed.
 * @param int                  $wait  Seconds to wait for another collection copying it.
 * @return int|WP_Error The attachment, 0 when another collection copies it for too long (the post gets it later).
 */
function copy_once( array $image, array $draft, Feed $feed, int $wait = COPY_WAIT ) {
	$lock = 'img_' . substr( $image['sha256'], 0, 40 );
	// A copy takes a fraction of a second: waiting that long costs less than setting the image afterwards.
	if ( ! Lock\acquire( $lock, $wait ) ) {
		return 0;
	}
	try {
		$attachment = find( $image );
		return 0 !== $attachment ? $attachment : copy( $image, $draft, $feed );
	} finally {
		Lock\release( $lock );
	}
}

/**
 * Copy one image from the worker into the media library; the attachment ID, or why not in words.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $image A contract Image.
 * @param array<string, mixed> $draft The draft that names it (title, source).
 * @param Feed                 $feed  The feed (its name in the caption).
 * @return int|WP_Error
 */
function copy( array $image, array $draft, Feed $feed ) {
	require_once ABSPATH . 'wp-admin/includes/file.php';
	require_once ABSPATH . 'wp-admin/includes/image.php';
	$extension = EXTENSIONS[ $image['mime_type'] ] ?? '';
	$temporary = wp_tempnam( 'atai-image.' . $extension );
	$limit     = limits()['max_bytes'];
	$fetched   = Worker\download_image( $image['sha256'], $temporary, $limit );
	if ( is_wp_error( $fetched ) ) {
		wp_delete_file( $temporary );
		return failed( $image, $fetched->get_error_message() );
	}
	$name  = sanitize_file_name( pathinfo( (string) wp_parse_url( $image['url'], PHP_URL_PATH ), PATHINFO_FILENAME ) );
	$file  = array(
		'name'     => ( '' !== $name ? $name : 'image' ) . '.' . $extension,
		'type'     => $image['mime_type'],
		'tmp_name' => $temporary,
		'error'    => 0,
		'size'     => (int) filesize( $temporary ),
	);
	$moved = wp_handle_sideload( $file, array( 'test_form' => false ) );
	if ( isset( $moved['error'] ) ) {
		wp_delete_file( $temporary );
		return failed( $image, (string) $moved['error'] );
	}
	$title      = \ATAI\Posts\plain_text( $draft['title'] );
	$alt        = '' !== trim( (string) ( $image['alt'] ?? '' ) ) ? \ATAI\Posts\plain_text( $image['alt'] ) : $title;
	$attachment = wp_insert_attachment(
		array(
			'post_mime_type' => $moved['type'],
			'guid'           => $moved['url'],
			'post_title'     => $alt,
			'post_excerpt'   => credit( $draft, $feed ),
			'post_content'   => '',
			'post_status'    => 'inherit',
		),
		$moved['file'],
		0,
		true
	);
	if ( is_wp_error( $attachment ) ) {
		wp_delete_file( $moved['file'] );
		return failed( $image, $attachment->get_error_message() );
	}
	update_post_meta( $attachment, '_wp_attachment_image_alt', wp_slash( $alt ) );
	// What the image is now; its sub-sizes follow from the cron event (make_sizes()).
	wp_update_attachment_metadata(
		$attachment,
		array(
			'width'    => (int) $image['width'],
			'height'   => (int) $image['height'],
			'file'     => _wp_relative_upload_path( $moved['file'] ),
			'filesize' => (int) $image['size'],
			'sizes'    => array(),
		)
	);
	remember( hash( 'sha256', $image['url'] ), $image['sha256'], $attachment, true );
	schedule( SIZES_HOOK );
	return $attachment;
}

/**
 * The error of an image that could not be copied, in words, naming it.
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $image  A contract Image.
 * @param string               $reason Why.
 */
function failed( array $image, string $reason ): WP_Error {
	return new WP_Error(
		'atai_image_not_copied',
		/* translators: 1: image address, 2: why. */
		sprintf( __( 'image: %1$s was not copied into the media library: %2$s', 'automationtools-ai' ), $image['url'], $reason )
	);
}

/**
 * The caption crediting the source: "Image: <the feed's name>".
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $draft A contract Draft.
 * @param Feed                 $feed  The feed.
 */
function credit( array $draft, Feed $feed ): string {
	$name = '' !== $feed->title ? $feed->title : (string) wp_parse_url( (string) ( $draft['source_url'] ?? $feed->url ), PHP_URL_HOST );
	/* translators: %s: the source's name (the feed's title or the site's host name). */
	return sprintf( __( 'Image: %s', 'automationtools-ai' ), \ATAI\Posts\plain_text( $name ) );
}

/**
 * The content with the image's address replaced by its copy's.
 *
 * @since 0.2.0
 */
function with_local_source( string $content, string $url, int $attachment ): string {
	$local = wp_get_attachment_url( $attachment );
	if ( ! $local ) {
		return $content;
	}
	return str_replace(
		array( 'src="' . $url . '"', 'src="' . esc_attr( $url ) . '"' ),
		'src="' . esc_url( $local ) . '"',
		$content
	);
}
